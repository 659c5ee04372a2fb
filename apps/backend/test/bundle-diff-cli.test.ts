import { execFile } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { extract } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";

// The `nepi` command as a user runs it (the global set-up built dist/ from the sources).
const BIN = fileURLToPath(new URL("../bin/nepi.js", import.meta.url));

function nepi(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

/** Every file under `root`, by its path relative to it. */
function files(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(root, p), readFileSync(p));
    }
  };
  walk(root);
  return out;
}

let dir: string;
/** Runs a localhost ping of `count` echoes; resolves to its run directory. */
async function runPing(name: string, count: number): Promise<string> {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      format: "nepi-experiment@1",
      name: "bundle-diff",
      resources: [
        { guid: 1, type: "linux::Node", label: "box", attributes: { hostname: "localhost" } },
        {
          guid: 2,
          type: "linux::Ping",
          label: "pinger",
          attributes: { target: "127.0.0.1", count, interval: 0.3 },
          traces: ["stdout"],
        },
      ],
      connections: [{ source: 2, target: 1 }],
    }),
  );
  const out = await nepi("run", file, "--json", "--results", join(dir, "results"));
  expect(out.code, out.stderr).toBe(0);
  const result = out.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { event: string; results?: string })
    .find((e) => e.event === "result")!;
  return result.results!;
}

let one: string;
let oneAgain: string;
let three: string;
beforeAll(async () => {
  dir = tempDir("nepi-bundle-diff-");
  one = await runPing("one", 1);
  oneAgain = await runPing("one-again", 1);
  three = await runPing("three", 4);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("nepi bundle", () => {
  it("packs the run directory into one .tar.gz that extracts to the same files", async () => {
    const out = await nepi("bundle", one, "-o", join(dir, "one.tar.gz"));
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(out.stdout.trim()).toBe(join(dir, "one.tar.gz"));
    const into = join(dir, "extracted");
    rmSync(into, { recursive: true, force: true });
    await import("node:fs/promises").then((fs) => fs.mkdir(into));
    await extract({ file: join(dir, "one.tar.gz"), cwd: into });
    const runId = one.split("/").pop()!;
    const packed = files(join(into, runId));
    const original = files(one);
    expect([...packed.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [name, bytes] of original) expect(packed.get(name)!.equals(bytes), name).toBe(true);
    // The design, the manifest, the timeline and the ping's output are all in it.
    expect([...packed.keys()]).toEqual(expect.arrayContaining(["experiment.json", "manifest.json", "timeline.json"]));
    expect([...packed.keys()].some((k) => k.includes("stdout"))).toBe(true);
  });

  it("refuses a directory that is not a whole run (exit 2, naming what is missing)", async () => {
    const out = await nepi("bundle", dir);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/not a run directory: manifest\.json, timeline\.json missing/);
  });
});

describe("nepi diff", () => {
  it("shows a changed attribute and each state's timing, exit 1", async () => {
    const out = await nepi("diff", one, three);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(1);
    expect(out.stdout).toContain("pinger (guid 2) count: 1 → 4");
    expect(out.stdout).toContain("machine facts: the same");
    // Four echoes 0.3 s apart finish later than one.
    const finished = /pinger \(guid 2\) FINISHED: \+(\d+) ms vs \+(\d+) ms/.exec(out.stdout);
    expect(finished).not.toBeNull();
    expect(Number(finished![2]) - Number(finished![1])).toBeGreaterThan(500);
    expect(out.stdout).toMatch(/box \(guid 1\) DISCOVERED: \+\d+ ms vs \+\d+ ms/);
    expect(out.stdout.trim().endsWith("different")).toBe(true);
  });

  it("exit 0 for two runs of the same design on the same machine: times differ, nothing else", async () => {
    const out = await nepi("diff", one, oneAgain, "--json");
    expect(out.code).toBe(0);
    const d = JSON.parse(out.stdout) as { same: boolean; attributes: unknown[]; facts: unknown[]; timing: unknown[] };
    expect(d).toMatchObject({ same: true, attributes: [], facts: [] });
    expect(d.timing.length).toBeGreaterThan(5);
  });

  it("exit 2 naming the file when a run directory cannot be read", async () => {
    const out = await nepi("diff", one, join(dir, "nowhere"));
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(join(dir, "nowhere", "manifest.json"));
  });
});
