import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostExecResult } from "@nepi/core";
import { createServer, type AddressInfo } from "node:net";
import { tempDir } from "./helpers.js";

// The `nepi` command as a user runs it (the global set-up built dist/ from the sources).
const BIN = fileURLToPath(new URL("../bin/nepi.js", import.meta.url));

function nepi(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

/** A port nothing listens on (it was free a moment ago). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

let dir: string;
let file: string;
beforeAll(async () => {
  dir = tempDir("nepi-exec-cli-");
  file = join(dir, "hosts.json");
  const closed = await freePort();
  writeFileSync(
    file,
    JSON.stringify({
      format: "nepi-experiment@1",
      name: "exec-cli",
      resources: [
        { guid: 1, type: "linux::Node", label: "alpha", attributes: { hostname: "localhost" } },
        { guid: 2, type: "linux::Node", label: "beta", attributes: { hostname: "localhost" } },
        // Nothing listens on that port: unreachable.
        { guid: 3, type: "linux::Node", label: "gone", attributes: { hostname: "127.0.0.1", port: closed, username: "nobody" } },
        // A problem elsewhere in the design does not stop a command on its hosts.
        { guid: 4, type: "linux::Ping", label: "pinger", attributes: {} },
      ],
      connections: [{ source: 4, target: 1 }],
    }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("nepi exec", () => {
  it("prints each host's output under its label with its exit code, exit 0 when all succeeded", async () => {
    const out = await nepi("exec", file, "--hosts", "alpha,beta", "--", "echo", "hello;", "echo", "warn", ">&2");
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    for (const label of ["alpha", "beta"]) {
      expect(out.stdout).toMatch(new RegExp(`── ${label} \\(local\\): exit 0 · \\d+ ms\\nhello\\nstderr:\\nwarn\\n`));
    }
    expect(out.stdout).not.toContain("gone");
    expect(out.stdout.trimEnd().split("\n").at(-1)).toBe("2 hosts: 2 ok");
  });

  it("exits 1 when the command fails on a host or a host is unreachable, each named", async () => {
    const out = await nepi("exec", file, "--", "exit 3");
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/── alpha \(local\): exit 3 · /);
    expect(out.stdout).toMatch(/── gone \(nobody@127\.0\.0\.1:\d+\): cannot connect after 1 attempt\(s\): .*ECONNREFUSED/);
    expect(out.stdout.trimEnd().split("\n").at(-1)).toBe("3 hosts: 0 ok, 3 failed (alpha, beta, gone)");
  });

  it("--json: one object with every host's answer in the design's order", async () => {
    const out = await nepi("exec", file, "--json", "--", "printf %s", "$((6*7))");
    expect(out.code).toBe(1);
    const answer = JSON.parse(out.stdout) as { ok: boolean; command: string; results: HostExecResult[] };
    expect(answer.ok).toBe(false);
    expect(answer.command).toBe("printf %s $((6*7))");
    expect(answer.results.map((r) => [r.label, r.ok, r.code, r.stdout])).toEqual([
      ["alpha", true, 0, "42"],
      ["beta", true, 0, "42"],
      ["gone", false, null, ""],
    ]);
    expect(answer.results[2]!.error).toMatch(/ECONNREFUSED/);
  });

  it("exits 2 naming a label that is no host of the design, with nothing run", async () => {
    const out = await nepi("exec", file, "--hosts", "alpha,nope", "--", "touch", join(dir, "ran"));
    expect(out.code).toBe(2);
    expect(out.stderr).toBe('error: hosts[1]: no host labelled "nope" in the design (its hosts: alpha, beta, gone)\n');
    expect(out.stdout).toBe("");
    const ls = await nepi("exec", file, "--hosts", "alpha", "--", "ls", dir);
    expect(ls.stdout).not.toContain("ran");
  });

  it("ends a command past --timeout; refuses a bad --timeout or no command with exit 2", async () => {
    const slow = await nepi("exec", file, "--hosts", "alpha", "--timeout", "200ms", "--", "sleep 30");
    expect(slow.code).toBe(1);
    expect(slow.stdout).toMatch(/── alpha \(local\): exit 124, timed out after 0\.2 s/);
    const bad = await nepi("exec", file, "--timeout", "soon", "--", "true");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--timeout: "soon" is not a time string/);
    const none = await nepi("exec", file);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/missing required argument 'command'/);
  });
});
