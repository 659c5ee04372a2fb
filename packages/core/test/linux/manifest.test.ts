import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CREDENTIAL_PLACEHOLDER, ExperimentController, type RunManifest } from "../../src/node.js";
import { freePort, startSshd, type PrivateSshd } from "../../src/bench/sshd.js";

let sshd: PrivateSshd;
let closedPort: number;
let dir: string;
beforeAll(async () => {
  sshd = await startSshd();
  closedPort = await freePort();
  dir = await mkdtemp(join(tmpdir(), "nepi-manifest-"));
});
afterAll(async () => {
  await sshd?.stop();
  await rm(dir, { recursive: true, force: true });
});

const PASSWORD = "never-write-me-7f3a";

describe("the run's manifest", () => {
  it("records the document as run (defaults filled, credentials redacted) and each machine's facts", async () => {
    const ssh = {
      hostname: sshd.host,
      port: sshd.port,
      username: userInfo().username,
      identity: sshd.identity,
      knownHosts: sshd.knownHosts,
      strictHostKeyChecking: "yes",
    };
    const ec = ExperimentController.fromDocument(
      {
        format: "nepi-experiment@1",
        name: "manifest",
        resources: [
          { guid: 1, type: "linux::Node", label: "box", attributes: { ...ssh, password: PASSWORD } },
          { guid: 2, type: "linux::Ping", label: "pinger", attributes: { target: "127.0.0.1", count: 1, interval: 0.2 } },
          // Nothing listens there: its facts cannot be read, and say so.
          { guid: 3, type: "linux::Node", label: "down", attributes: { ...ssh, port: closedPort, critical: false } },
        ],
        connections: [{ source: 2, target: 1 }],
      },
      { rootDir: dir, expId: "e", runId: "r" },
    );
    ec.deploy();
    await ec.waitFinished(2, { timeout: "30s" });
    await ec.shutdown();

    const text = await readFile(join(dir, "e", "r", "manifest.json"), "utf8");
    expect(text).not.toContain(PASSWORD);
    const m = JSON.parse(text) as RunManifest;
    const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    expect(m).toMatchObject({ format: "nepi-manifest@1", nepiStudio: pkg.version, expId: "e", runId: "r" });

    const box = m.document.resources.find((r) => r.guid === 1)!;
    expect(box.attributes.password).toBe(CREDENTIAL_PLACEHOLDER);
    const pinger = m.document.resources.find((r) => r.guid === 2)!;
    // Set values as set, the others at their defaults.
    expect(pinger.attributes).toMatchObject({ target: "127.0.0.1", count: 1, interval: 0.2, critical: true, retries: 0 });
    expect(box.attributes).toMatchObject({ port: sshd.port, cleanProcesses: true, cleanExperiment: false });

    const byLabel = Object.fromEntries(m.machines.map((f) => [f.label, f]));
    const facts = byLabel.box!;
    expect(facts.address).toBe(`${userInfo().username}@${sshd.host}:${sshd.port}`);
    expect(facts.uname).toEqual({ value: expect.stringMatching(/^Linux /) });
    expect(facts.os).toEqual({ value: expect.stringMatching(/\S/) });
    expect(facts.cpus).toEqual({ value: expect.stringMatching(/^\d+$/) });
    // The tool the design's ping uses, at its installed version.
    expect(Object.keys(facts.tools)).toEqual(["iputils-ping"]);
    expect(facts.tools["iputils-ping"]).toEqual({ value: expect.stringMatching(/\d/) });

    const down = byLabel.down!;
    for (const f of [down.uname, down.os, down.cpus])
      expect(f).toEqual({ error: expect.stringMatching(/^not reached in this run \(FAILED: .*ECONNREFUSED/) });
  });
});
