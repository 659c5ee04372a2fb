import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSshd } from "../../src/bench/sshd.js";
import { networkTag, parsePing } from "../../src/node.js";
import { newController } from "../support/linux.js";

/**
 * An emulated network on a machine whose user is not root: the network is built with sudo, and
 * the applications run inside the namespaces as that user.
 */
const ensure = fileURLToPath(new URL("../../../../scripts/ensure-system-packages.sh", import.meta.url));
const user = `nepins${process.pid % 10000}`;
const password = `pw-${Math.random().toString(36).slice(2)}`;
const sudoers = `/etc/sudoers.d/${user}`;
let server: Awaited<ReturnType<typeof startSshd>>;

beforeAll(async () => {
  execFileSync("bash", [ensure, "sudo"], { stdio: "inherit" });
  execFileSync("useradd", ["--create-home", "--shell", "/bin/sh", user]);
  execFileSync("chpasswd", [], { input: `${user}:${password}\n` });
  writeFileSync(sudoers, `${user} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
  server = await startSshd({ passwordAuthentication: true });
}, 300_000);

afterAll(async () => {
  await server?.stop();
  rmSync(sudoers, { force: true });
  execFileSync("userdel", ["--force", "--remove", user], { stdio: "ignore" });
});

describe("an emulated network on a machine reached as an unprivileged user", () => {
  it("is built with sudo, and its applications run in the namespaces as the user", async () => {
    const ec = newController("netns-sudo");
    try {
      const machine = ec.registerResource("linux::Node", {
        hostname: server.host,
        port: server.port,
        username: user,
        password,
        knownHosts: server.knownHosts,
        strictHostKeyChecking: "yes",
      });
      const h1 = ec.registerResource("netns::Node", {}, { label: "h1" });
      const h2 = ec.registerResource("netns::Node", {}, { label: "h2" });
      const link = ec.registerResource("netns::Link", { rate: "20mbit" });
      for (const h of [h1, h2]) ec.registerConnection(h, machine);
      ec.registerConnection(link, h1);
      ec.registerConnection(link, h2);
      const app = ec.registerResource("linux::Application", {
        command: 'id -un; ping -c 2 -i 0.2 ${ip:h2} > ping.txt; cat ping.txt; ls -l ping.txt | cut -d" " -f3',
      });
      ec.registerConnection(app, h1);
      ec.registerTrace(app, "stdout");
      ec.deploy();
      await ec.waitFinished(app, { timeout: "60s" });
      const out = String(await ec.trace(app, "stdout"))
        .trim()
        .split("\n");
      // The user, inside the namespace; the file it wrote is its own.
      expect(out[0]).toBe(user);
      expect(parsePing(out.join("\n")).summary?.received).toBe(2);
      expect(out.at(-1)).toBe(user);
      await ec.release();
      const left = execFileSync("ip", ["netns", "list"]).toString();
      expect(left).not.toContain(`nepi-${networkTag(ec.runId)}-`);
    } finally {
      await ec.shutdown();
    }
  }, 120_000);
});
