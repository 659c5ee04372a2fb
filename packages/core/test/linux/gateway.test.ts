import { createServer } from "node:net";
import { afterEach, describe, expect, inject, it } from "vitest";
import type { ExperimentController } from "../../src/node.js";
import { newController, nodeAttributes } from "../support/linux.js";

let ec: ExperimentController | undefined;
afterEach(async () => {
  await ec?.shutdown();
  ec = undefined;
});

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("linux::Node through a gateway (jump host)", () => {
  it("runs an application on a host reached through the gateway named in the document", async () => {
    const sshd = inject("sshd");
    ec = newController("gateway");
    const node = ec.registerResource("linux::Node", { ...nodeAttributes("ssh"), gateway: `${sshd.host}:${sshd.port}` });
    const app = ec.registerResource("linux::Application", { command: "echo via $SSH_CONNECTION" });
    ec.registerConnection(app, node);
    ec.registerTrace(app, "stdout");
    ec.deploy();
    await ec.waitFinished(app, { timeout: "30s" });
    // The target sees its SSH connection come from the jump host's side of loopback.
    expect(String(await ec.trace(app, "stdout"))).toMatch(/^via 127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+\n$/);
  });

  it("fails the node with a reason naming the gateway when the gateway cannot be reached", async () => {
    const port = await closedPort();
    ec = newController("gateway-down");
    const node = ec.registerResource("linux::Node", { ...nodeAttributes("ssh"), gateway: `127.0.0.1:${port}` });
    const app = ec.registerResource("linux::Application", { command: "true" });
    ec.registerConnection(app, node);
    ec.deploy();
    await expect(ec.waitFinished(app, { timeout: "60s" })).rejects.toThrow();
    expect(ec.state(node)).toBe("FAILED");
    expect(ec.failure(node)).toMatch(new RegExp(`gateway.*127\\.0\\.0\\.1:${port}|127\\.0\\.0\\.1:${port}.*gateway`, "i"));
  });
});
