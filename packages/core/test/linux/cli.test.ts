import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { nodeAttributes } from "../support/linux.js";

const repo = fileURLToPath(new URL("../../../../", import.meta.url));
const bin = join(repo, "apps/backend/bin/nepi.js");

/** Builds the CLI's files only (the rest of the backend is not needed to run experiments). */
beforeAll(() => {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(
    process.execPath,
    [
      tsc,
      "--rootDir",
      "apps/backend/src",
      "--outDir",
      "apps/backend/dist",
      "--module",
      "nodenext",
      "--moduleResolution",
      "nodenext",
      "--target",
      "es2022",
      "--strict",
      "--skipLibCheck",
      "--types",
      "node",
      "apps/backend/src/cli/main.ts",
    ],
    { cwd: repo, stdio: "pipe" },
  );
}, 120_000);

function writeDoc(doc: object): string {
  const file = join(mkdtempSync(join(tmpdir(), "nepi-cli-")), "exp.json");
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

interface Cli {
  events: Array<Record<string, unknown>>;
  waitFor(pred: (e: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exit: Promise<number | null>;
  stderr: () => string;
  kill(sig: NodeJS.Signals): void;
}

function nepi(args: string[]): Cli {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const events: Array<Record<string, unknown>> = [];
  const waiters: Array<{ pred: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }> = [];
  let buf = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => {
    buf += c.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let e: Record<string, unknown>;
      try {
        e = JSON.parse(line);
      } catch {
        e = { text: line };
      }
      events.push(e);
      for (const w of [...waiters]) {
        if (!w.pred(e)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  return {
    events,
    waitFor: (pred) => {
      const seen = events.find(pred);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ pred, resolve }));
    },
    exit: new Promise((resolve) => child.on("exit", (code) => resolve(code))),
    stderr: () => err,
    kill: (sig) => child.kill(sig),
  };
}

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("nepi CLI", () => {
  it("Ctrl-C on `nepi run` stops and releases everything: no process is left on the host", async () => {
    const file = writeDoc({
      format: "nepi-experiment@1",
      name: "test-cli-ctrl-c",
      resources: [
        { guid: 1, type: "linux::Node", attributes: nodeAttributes("ssh") },
        { guid: 2, type: "linux::Application", label: "long", attributes: { command: "sleep 600" } },
        {
          guid: 3,
          type: "linux::Application",
          label: "longer",
          attributes: { command: "sleep 601 & sleep 602" },
          traces: ["stdout"],
        },
      ],
      connections: [
        { source: 2, target: 1 },
        { source: 3, target: 1 },
      ],
    });
    const results = mkdtempSync(join(tmpdir(), "nepi-cli-results-"));
    const cli = nepi(["run", file, "--results", results, "--json"]);
    const run = await cli.waitFor((e) => e.event === "run");
    await cli.waitFor((e) => e.event === "state" && e.guid === 2 && e.state === "STARTED");
    await cli.waitFor((e) => e.event === "state" && e.guid === 3 && e.state === "STARTED");
    const home = join(homedir(), ".nepi", String(run.expId), String(run.runId));
    const pids = [2, 3].map((g) => Number(readFileSync(join(home, String(g), "pid"), "utf8").split(" ")[0]));
    for (const pid of pids) expect(alive(pid)).toBe(true);
    cli.kill("SIGINT");
    expect(await cli.exit).toBe(130);
    const result = cli.events.find((e) => e.event === "result")!;
    expect(result).toMatchObject({ ok: false, interrupted: true, exitCode: 130 });
    for (const g of [1, 2, 3])
      expect(cli.events.some((e) => e.event === "state" && e.guid === g && e.state === "RELEASED")).toBe(true);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(execFileSync("ps", ["-eo", "args="]).toString()).not.toMatch(/sleep 60[012]/);
    // The timeline and the enabled traces are in the results directory.
    const runDir = String(result.results);
    expect(JSON.parse(readFileSync(join(runDir, "timeline.json"), "utf8")).length).toBeGreaterThan(10);
    expect(existsSync(join(runDir, "3-longer", "stdout"))).toBe(true);
  });

  it("`nepi run` exits 3 naming each non-critical failure and its reason; 0 when everything finished", async () => {
    const file = writeDoc({
      format: "nepi-experiment@1",
      name: "test-cli-one-fails",
      resources: [
        { guid: 1, type: "linux::Node", attributes: { hostname: "localhost" } },
        { guid: 2, type: "linux::Application", label: "ok", attributes: { command: "echo fine" } },
        {
          guid: 3,
          type: "linux::Application",
          label: "bad",
          attributes: { command: "echo 'disk on fire' >&2; exit 4", critical: false },
        },
      ],
      connections: [
        { source: 2, target: 1 },
        { source: 3, target: 1 },
      ],
    });
    const cli = nepi(["run", file, "--results", mkdtempSync(join(tmpdir(), "nepi-cli-results-"))]);
    // Only a non-critical resource failed, the rest finished: FINISHED_WITH_FAILURES.
    expect(await cli.exit).toBe(3);
    expect(cli.stderr()).toContain("FAILED guid 3 (bad): exit code 4: disk on fire");
    const ok = nepi([
      "run",
      join(repo, "examples/two-apps-start-condition.json"),
      "--results",
      mkdtempSync(join(tmpdir(), "nepi-cli-results-")),
    ]);
    expect(await ok.exit).toBe(0);
    expect(ok.events.some((e) => String(e.text).includes("guid 3 (reader) FINISHED"))).toBe(true);
  });

  it("`nepi run` is not ok when a trace could not be collected: exit 1, the trace and why in the JSON result", async () => {
    const file = writeDoc({
      format: "nepi-experiment@1",
      name: "test-cli-missing-trace",
      resources: [
        { guid: 1, type: "linux::Node", attributes: { hostname: "localhost" } },
        // Finishes fine, but its "out" trace is a directory: copying it fails.
        {
          guid: 2,
          type: "linux::Application",
          label: "writer",
          attributes: { command: "mkdir out; echo done" },
          traces: ["stdout", "out"],
        },
      ],
      connections: [{ source: 2, target: 1 }],
    });
    const cli = nepi(["run", file, "--json", "--results", mkdtempSync(join(tmpdir(), "nepi-cli-results-"))]);
    expect(await cli.exit).toBe(1);
    const result = cli.events.find((e) => e.event === "result")!;
    expect(result).toMatchObject({ ok: false, exitCode: 1, failures: [] });
    expect(result.missingTraces).toEqual([
      { guid: 2, label: "writer", name: "out", reason: expect.stringMatching(/copying it from local failed: .*EISDIR/) },
    ]);
    const text = nepi(["run", file, "--results", mkdtempSync(join(tmpdir(), "nepi-cli-results-"))]);
    expect(await text.exit).toBe(1);
    expect(text.stderr()).toMatch(/MISSING trace "out" of guid 2 \(writer\): copying it from local failed/);
  });

  it("shows a live table of resources and states on a terminal", async () => {
    // `script` gives the CLI a pseudo-terminal, as a user's shell would.
    const cmd = `${process.execPath} ${bin} run ${join(repo, "examples/sim-dry-run.json")} --results ${mkdtempSync(join(tmpdir(), "nepi-cli-results-"))}`;
    const cli = spawn("script", ["-qec", cmd, "/dev/null"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    cli.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => cli.on("exit", resolve));
    expect(code).toBe(0);
    expect(out).toMatch(/GUID +LABEL +TYPE +STATE/);
    // Redrawn in place (cursor up, clear), ending with every row released.
    expect(out).toContain("\x1b[J");
    const last = out.slice(out.lastIndexOf("GUID"));
    for (const label of ["setup", "measure", "monitor", "report"])
      expect(last).toMatch(new RegExp(`${label} +sim::Task +\\S*RELEASED`));
    expect(last).toMatch(/RELEASED 4/);
  });

  it("`nepi run` refuses an invalid document (exit 2) and runs a document of nodes only (deploy, release)", async () => {
    const bad = nepi([
      "run",
      writeDoc({
        format: "nepi-experiment@1",
        name: "test-cli-x",
        resources: [{ guid: 1, type: "linux::Ping", attributes: { count: "many" } }],
      }),
    ]);
    expect(await bad.exit).toBe(2);
    expect(bad.stderr()).toMatch(/resources\[0\]\.attributes\.count/);
    const nodes = nepi([
      "run",
      writeDoc({
        format: "nepi-experiment@1",
        name: "test-cli-nodes",
        resources: [{ guid: 1, type: "linux::Node", attributes: { hostname: "localhost" } }],
      }),
      "--json",
      "--results",
      mkdtempSync(join(tmpdir(), "nepi-cli-results-")),
    ]);
    expect(await nodes.exit).toBe(0);
    expect(nodes.events.filter((e) => e.event === "state").map((e) => e.state)).toEqual([
      "DISCOVERED",
      "PROVISIONED",
      "READY",
      "STARTED",
      "RELEASED",
    ]);
  });

  it("`nepi run` is over once what ends by itself ended: a sim::Task with no duration runs until released", async () => {
    const file = writeDoc({
      format: "nepi-experiment@1",
      name: "test-cli-endless-task",
      resources: [
        { guid: 1, type: "sim::Task", label: "endless" },
        { guid: 2, type: "sim::Task", label: "short", attributes: { duration: "50ms" } },
      ],
    });
    const cli = nepi(["run", file, "--json", "--results", mkdtempSync(join(tmpdir(), "nepi-cli-results-"))]);
    expect(await cli.exit).toBe(0);
    const states = (g: number) => cli.events.filter((e) => e.event === "state" && e.guid === g).map((e) => e.state);
    expect(states(2)).toContain("FINISHED");
    expect(states(1)).not.toContain("FINISHED");
    expect(states(1).at(-1)).toBe("RELEASED");
  });

  it("`nepi validate` lists every problem with its path", async () => {
    const file = writeDoc({
      format: "nepi-experiment@1",
      name: "broken",
      resources: [
        { guid: 1, type: "linux::Node", attributes: { port: "twenty-two" } },
        { guid: 2, type: "linux::Ping", attributes: { count: 1.5 } },
        { guid: 3, type: "nope::Thing" },
      ],
      connections: [{ source: 2, target: 9 }],
    });
    const cli = nepi(["validate", file]);
    expect(await cli.exit).toBe(1);
    const text = cli.events.map((e) => e.text).join("\n");
    expect(text).toMatch(/resources\[0\]\.attributes\.port: .*integer/);
    expect(text).toMatch(/resources\[1\]\.attributes\.count: .*integer/);
    expect(text).toMatch(/resources\[2\]\.type: unknown resource type "nope::Thing"/);
    expect(text).toMatch(/connections\[0\]/);
  });
});
