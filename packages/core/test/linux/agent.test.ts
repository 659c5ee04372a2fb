import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ExperimentController } from "../../src/node.js";
import { newController, nodeAttributes } from "../support/linux.js";

let ec: ExperimentController | undefined;
let agent: ChildProcess | undefined;
let dir: string | undefined;
const savedSock = process.env.SSH_AUTH_SOCK;

afterEach(async () => {
  await ec?.shutdown();
  ec = undefined;
  agent?.kill();
  agent = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (savedSock === undefined) delete process.env.SSH_AUTH_SOCK;
  else process.env.SSH_AUTH_SOCK = savedSock;
});

/** A private ssh-agent on its own socket; resolves once it says it is listening. */
function startAgent(sock: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn("ssh-agent", ["-D", "-a", sock], { stdio: ["ignore", "pipe", "inherit"] });
    child.once("error", reject);
    child.stdout!.once("data", () => resolve(child));
  });
}

describe("ssh-agent authentication", () => {
  it("logs in with the agent's key when the node names no identity", async () => {
    const attrs = nodeAttributes("ssh");
    dir = mkdtempSync(join(tmpdir(), "nepi-agent-"));
    const sock = join(dir, "agent.sock");
    agent = await startAgent(sock);
    execFileSync("ssh-add", [String(attrs.identity)], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: "ignore" });
    process.env.SSH_AUTH_SOCK = sock;

    ec = newController("agent");
    const { identity: _unused, ...withoutIdentity } = attrs;
    const node = ec.registerResource("linux::Node", withoutIdentity);
    const app = ec.registerResource("linux::Application", { command: "echo agent ok" });
    ec.registerConnection(app, node);
    ec.registerTrace(app, "stdout");
    ec.deploy();
    await ec.waitFinished(app, { timeout: "30s" });
    expect(await ec.trace(app, "stdout")).toBe("agent ok\n");
  });
});
