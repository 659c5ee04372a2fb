import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { acquireTransport, releaseTransport, SshTransport, type ExperimentController } from "../../src/node.js";
import { startSshd, type PrivateSshd } from "../../src/bench/sshd.js";
import { newController, nodeAttributes } from "../support/linux.js";

let ec: ExperimentController | undefined;
afterEach(async () => {
  await ec?.shutdown();
  ec = undefined;
});

describe("a dropped SSH connection", () => {
  // A server of its own: this test kills its sessions, which must not disturb other test files.
  let sshd: PrivateSshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => sshd?.stop());

  it("does not end a running application: the controller reconnects and sees it finish", async () => {
    ec = newController("reconnect");
    const attrs = { ...nodeAttributes("ssh"), port: sshd.port, identity: sshd.identity, knownHosts: sshd.knownHosts };
    const node = ec.registerResource("linux::Node", attrs);
    // It waits for a file the test creates once the connection is gone, so it surely outlives it.
    const app = ec.registerResource("linux::Application", { command: 'while [ ! -f go ]; do sleep 0.05; done; echo "survived"' });
    ec.registerConnection(app, node);
    ec.registerTrace(app, "stdout");
    ec.deploy();
    await ec.waitStarted(app, { timeout: "30s" });
    const transport = acquireTransport({
      host: sshd.host,
      port: sshd.port,
      username: userInfo().username,
      identity: sshd.identity,
      knownHosts: sshd.knownHosts,
      strictHostKeyChecking: "yes",
    }) as SshTransport;
    try {
      expect(transport.connections).toBe(1);
      const sessions = await sshd.sessionPids();
      expect(sessions.length).toBeGreaterThan(0);
      // Kill the server side of the connection, as a network failure or a crashed sshd would.
      const closed = new Promise<void>((resolve) =>
        (transport as unknown as { currentClient: { once(e: string, f: () => void): void } }).currentClient.once(
          "close",
          resolve,
        ),
      );
      for (const pid of sessions) process.kill(pid, "SIGKILL");
      await closed;
      expect(ec.state(app)).toBe("STARTED");
      // The application still runs on the host; let it end, with no connection open.
      const appHome = execFileSync("sh", ["-c", `ls -d ~/.nepi/${ec.expId}/${ec.runId}/${app}`])
        .toString()
        .trim();
      execFileSync("touch", [join(appHome, "go")]);
      await ec.waitFinished(app, { timeout: "30s" });
      expect(ec.state(app)).toBe("FINISHED");
      expect(transport.connections).toBe(2);
      expect(await ec.trace(app, "stdout")).toBe("survived\n");
    } finally {
      await releaseTransport(transport);
    }
  });
});

describe("connection errors reach the resource's failure", () => {
  const sshd = inject("sshd");

  it("a wrong key gives a clear authentication error", async () => {
    const key = join(mkdtempSync(join(tmpdir(), "nepi-key-")), "stranger");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    ec = newController("wrongkey");
    const node = ec.registerResource("linux::Node", { ...nodeAttributes("ssh"), identity: key });
    ec.deploy();
    await expect(ec.waitDeployed(node, { timeout: "30s" })).rejects.toThrow(/authentication failed/);
    expect(ec.state(node)).toBe("FAILED");
    expect(ec.failure(node)).toMatch(
      new RegExp(
        `${userInfo().username}@${sshd.host}:${sshd.port}: authentication failed \\(user ${userInfo().username}, tried key ${key}`,
      ),
    );
  });

  it("an unknown host key under strictHostKeyChecking=yes fails with its fingerprint", async () => {
    const fp = execFileSync("ssh-keygen", ["-lf", join(sshd.dir, "host_ed25519.pub")])
      .toString()
      .split(" ")[1]!;
    ec = newController("hostkey");
    const node = ec.registerResource("linux::Node", {
      ...nodeAttributes("ssh"),
      knownHosts: join(mkdtempSync(join(tmpdir(), "nepi-kh-")), "known_hosts"),
    });
    ec.deploy();
    await expect(ec.waitDeployed(node, { timeout: "30s" })).rejects.toThrow(fp);
    expect(ec.failure(node)).toContain(`unknown host key for [${sshd.host}]:${sshd.port}: ssh-ed25519 ${fp}`);
  });
});

describe("scale", () => {
  it("follows the traces of more applications than a host has follow channels, and completes each", async () => {
    ec = newController("follows");
    const node = ec.registerResource("linux::Node", nodeAttributes("ssh"));
    const apps: number[] = [];
    for (let i = 0; i < 14; i++) {
      const a = ec.registerResource("linux::Application", { command: `echo "start ${i}"; sleep 0.5; echo "end ${i}"` });
      ec.registerConnection(a, node);
      apps.push(a);
    }
    ec.deploy();
    await ec.waitDeployed(apps, { timeout: "30s" });
    const texts = new Map<number, string>();
    const complete = apps.map(
      (a, i) =>
        new Promise<void>((resolve) => {
          ec!.followTrace(a, "stdout", {}, (chunk) => {
            texts.set(a, (texts.get(a) ?? "") + chunk);
            if (texts.get(a)!.endsWith(`end ${i}\n`)) resolve();
          });
        }),
    );
    await ec.waitFinished(apps, { timeout: "30s" });
    await Promise.all(complete);
    apps.forEach((a, i) => expect(texts.get(a)).toBe(`start ${i}\nend ${i}\n`));
  });

  it("runs 200 applications on one host over one connection, every stdout collected", async () => {
    const sshd = inject("sshd");
    ec = newController("scale200");
    const node = ec.registerResource("linux::Node", nodeAttributes("ssh"));
    const apps: number[] = [];
    for (let i = 0; i < 200; i++) {
      const a = ec.registerResource("linux::Application", { command: `echo "app ${i}"` });
      ec.registerConnection(a, node);
      ec.registerTrace(a, "stdout");
      apps.push(a);
    }
    ec.deploy();
    const transport = acquireTransport({
      host: sshd.host,
      port: sshd.port,
      username: userInfo().username,
      identity: sshd.identity,
      knownHosts: sshd.knownHosts,
      strictHostKeyChecking: "yes",
    }) as SshTransport;
    try {
      await ec.waitFinished(apps, { timeout: "120s" });
      await ec.release();
      expect(transport.connections).toBe(1);
    } finally {
      await releaseTransport(transport);
    }
    for (const [i, a] of apps.entries()) {
      expect(await ec.trace(a, "stdout")).toBe(`app ${i}\n`);
    }
  });
});
