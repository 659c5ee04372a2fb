import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostsCheckReportSchema, type ExperimentDocumentInput } from "@nepi/core";
import { startTestServer, tempDir, type TestServer } from "./helpers.js";

const BIN = fileURLToPath(new URL("../bin/nepi.js", import.meta.url));

/** A loopback port nothing listens on (taken, then freed). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function design(port: number, depends = ""): ExperimentDocumentInput {
  return {
    format: "nepi-experiment@1",
    name: "test-hosts-check",
    resources: [
      { guid: 1, type: "linux::Node", label: "here", attributes: { hostname: "localhost" } },
      { guid: 2, type: "linux::Ping", attributes: { target: "127.0.0.1", ...(depends ? { depends } : {}) } },
      { guid: 3, type: "linux::Node", label: "nowhere", attributes: { hostname: "127.0.0.1", port, username: "nobody" } },
    ],
    connections: [{ source: 2, target: 1 }],
  };
}

function nepi(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

let dir: string;
beforeAll(() => {
  dir = tempDir("nepi-check-");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("nepi check", () => {
  it("prints each host's checks with reasons and fixes, exit 1 when one has a problem", async () => {
    const file = join(dir, "two.json");
    writeFileSync(file, JSON.stringify(design(await closedPort())));
    const out = await nepi("check", file);
    expect(out.code).toBe(1);
    const lines = out.stdout.split("\n");
    expect(lines[0]).toMatch(/^HOST\s+TARGET\s+CHECK\s+STATUS\s+DETAIL$/);
    expect(out.stdout).toMatch(/^here #1\s+local\s+reachable\s+ok\s+the local machine \(no SSH\)$/m);
    expect(out.stdout).toMatch(/^\s+packages\s+ok\s+installed: iputils-ping$/m);
    expect(out.stdout).toMatch(
      /^nowhere #3\s+nobody@127\.0\.0\.1:\d+\s+reachable\s+problem\s+127\.0\.0\.1:\d+ refused the connection/m,
    );
    expect(out.stdout).toMatch(/^\s+fix: start sshd on 127\.0\.0\.1, or set the port it listens on$/m);
    expect(lines.at(-2)).toMatch(/^2 hosts checked in \d+\.\d\d s: 1 with problems$/);
  });

  it("--json prints the report (core's schema); exit 0 when only the local host is checked", async () => {
    const doc = design(1);
    doc.resources = doc.resources.slice(0, 2);
    const file = join(dir, "local.json");
    writeFileSync(file, JSON.stringify(doc));
    const out = await nepi("check", file, "--json");
    expect(out.code).toBe(0);
    const report = HostsCheckReportSchema.parse(JSON.parse(out.stdout));
    expect(report.ok).toBe(true);
    expect(report.hosts.map((h) => [h.guid, h.label, h.target, h.ok])).toEqual([[1, "here", "local", true]]);
  });

  it("exits 2 for a file that is not an experiment, and refuses a bad --timeout", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(
      file,
      JSON.stringify({ format: "nepi-experiment@1", name: "bad", resources: [{ guid: "one", type: "linux::Node" }] }),
    );
    const bad = await nepi("check", file);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("resources[0].guid");
    const timeout = await nepi("check", file, "--timeout", "soon");
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toMatch(/'--timeout <seconds>' argument 'soon' is invalid/);
  });
});

describe("hosts.check", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.stop());

  it("checks a design being edited and a saved experiment", async () => {
    const port = await closedPort();
    const report = await t.client.hosts.check.mutate({ document: design(port, "nepi-no-such-package") });
    expect(report.ok).toBe(false);
    const [here, nowhere] = report.hosts;
    expect(here).toMatchObject({ guid: 1, target: "local", ok: false });
    expect(here!.checks.find((c) => c.status === "problem")).toMatchObject({
      name: "packages",
      reason: expect.stringContaining("nepi-no-such-package") as string,
    });
    expect(nowhere).toMatchObject({ guid: 3, ok: false, checks: [{ name: "reachable", status: "problem" }] });

    const { id } = await t.client.experiments.save.mutate({ document: design(port) });
    const saved = await t.client.hosts.check.mutate({ experimentId: id });
    expect(saved.hosts.map((h) => [h.guid, h.ok])).toEqual([
      [1, true],
      [3, false],
    ]);
  });

  it("names the field of bad input, and an experiment that does not exist", async () => {
    await expect(t.client.hosts.check.mutate({})).rejects.toThrow(/experimentId: expected an experimentId or a document/);
    await expect(
      t.client.hosts.check.mutate({ document: { ...design(1), resources: [{ guid: 1, type: "nope" }] } as never }),
    ).rejects.toThrow(/document\.resources\[0\]\.type/);
    await expect(t.client.hosts.check.mutate({ experimentId: "no-such" })).rejects.toThrow(/experiment "no-such" does not exist/);
  });
});
