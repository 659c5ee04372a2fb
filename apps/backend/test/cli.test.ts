import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";

// The `nepi` command as a user runs it (the global set-up built dist/ from the sources).
const BIN = fileURLToPath(new URL("../bin/nepi.js", import.meta.url));
const EXAMPLE = fileURLToPath(new URL("../../../examples/sim-dry-run.json", import.meta.url));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function nepi(...args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** What bash offers after `words` (the last one being completed), with the script `nepi completion` printed. */
function complete(script: string, words: string[]): Promise<string[]> {
  const program = `source /dev/stdin <<'NEPI'\n${script}\nNEPI\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _nepi_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return new Promise((resolve, reject) => {
    execFile("bash", ["-c", program], (err, stdout) => {
      if (err) reject(new Error(`bash: ${err.message}`, { cause: err }));
      else resolve(stdout.split("\n").filter(Boolean));
    });
  });
}

describe("the nepi CLI's command line", () => {
  it("--help lists the commands and each command's --help its options, exit 0", async () => {
    const top = await nepi("--help");
    expect(top.code).toBe(0);
    for (const command of ["run", "validate", "serve", "completion"])
      expect(top.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    const run = await nepi("run", "--help");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Usage: nepi run [options] <experiment.json>");
    expect(run.stdout).toMatch(/--results <dir>.*\n?.*default:\s+"results"/);
    expect(run.stdout).toContain("--json");
    expect((await nepi("help", "serve")).stdout).toMatch(/--port <port>/);
  });

  it("refuses an unknown option, naming it, with exit 2 and nothing run", async () => {
    const out = await nepi("run", EXAMPLE, "--frobnicate");
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("unknown option '--frobnicate'");
    expect(out.stdout).toBe("");
  });

  it("exits 2 with the reason on any other command line it cannot use", async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /Usage: nepi/],
      [["frob"], /unknown command 'frob'/],
      [["run"], /missing required argument 'experiment\.json'/],
      [["validate", EXAMPLE, EXAMPLE], /too many arguments/],
      [["serve", "--port", "http"], /'--port <port>' argument 'http' is invalid. expected a port number/],
      [["serve", "--port", "65536"], /'--port <port>' argument '65536' is invalid/],
      [["run", EXAMPLE, "--results"], /'--results <dir>' argument missing/],
    ];
    for (const [args, reason] of cases) {
      const out = await nepi(...args);
      expect({ args, code: out.code }).toEqual({ args, code: 2 });
      expect(out.stderr).toMatch(reason);
    }
  });

  it("validate exits 0 for a valid document and 1 listing the problems of an invalid one", async () => {
    const valid = await nepi("validate", EXAMPLE);
    expect(valid).toMatchObject({ code: 0, stdout: `${EXAMPLE}: valid\n` });
    const dir = tempDir("nepi-cli-");
    try {
      const bad = join(dir, "bad.json");
      writeFileSync(
        bad,
        JSON.stringify({ format: "nepi-experiment@1", name: "bad", resources: [{ guid: 1, type: "sim::Nope" }] }),
      );
      const invalid = await nepi("validate", bad);
      expect(invalid.code).toBe(1);
      expect(invalid.stdout).toContain("sim::Nope");
      expect(invalid.stdout).toContain(`${bad}: 1 problem`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("run exits 3 when only non-critical resources failed (FINISHED_WITH_FAILURES), 1 when a critical one did", async () => {
    const dir = tempDir("nepi-cli-");
    const doc = (critical: boolean) => ({
      format: "nepi-experiment@1",
      name: "with failures",
      resources: [
        { guid: 1, type: "sim::Task", label: "flaky", attributes: { duration: "10ms", failIn: "run", critical } },
        { guid: 2, type: "sim::Task", label: "fine", attributes: { duration: "10ms" } },
      ],
    });
    try {
      for (const critical of [false, true]) {
        const file = join(dir, `${critical}.json`);
        writeFileSync(file, JSON.stringify(doc(critical)));
        const out = await nepi("run", file, "--json", "--results", join(dir, "results"));
        const result = JSON.parse(out.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
        expect(out.code).toBe(critical ? 1 : 3);
        expect(result).toMatchObject({
          ok: false,
          exitCode: critical ? 1 : 3,
          status: critical ? "FAILED" : "FINISHED_WITH_FAILURES",
          failures: [{ guid: 1, label: "flaky", reason: "simulated failure while running (failIn=run)" }],
        });
      }
      expect((await nepi("run", "--help")).stdout).toMatch(/3 when only non-critical resources failed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serve takes its options through the same parser and exits 0 on SIGTERM", async () => {
    const dir = tempDir("nepi-cli-serve-");
    const child = spawn(process.execPath, [BIN, "serve", "--port=0", "--host", "127.0.0.1", "--data", join(dir, "data")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let printed = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (c: Buffer) => {
          printed += c.toString();
          const m = /NEPI Studio is listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(printed);
          if (m) resolve(m[1]!);
        });
        child.once("exit", (code) => reject(new Error(`nepi serve exited (${code}): ${printed}`)));
      });
      const res = await fetch(`${url}trpc/catalog.list`);
      expect(res.status).toBe(200);
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      expect(await exited).toEqual([0, null]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("completion prints a bash script that completes commands and each command's options", async () => {
    const out = await nepi("completion");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("complete -o filenames -F _nepi_complete nepi");
    expect(await complete(out.stdout, ["nepi", "r"])).toEqual(["run"]);
    expect(await complete(out.stdout, ["nepi", ""])).toEqual([
      "run",
      "validate",
      "check",
      "serve",
      "worker",
      "exec",
      "import",
      "bundle",
      "diff",
      "completion",
      "help",
    ]);
    expect(await complete(out.stdout, ["nepi", "run", "--"])).toEqual(["--results", "--json", "--resume", "--help"]);
    expect(await complete(out.stdout, ["nepi", "serve", "--p"])).toEqual(["--port"]);
    expect(await complete(out.stdout, ["nepi", "help", "v"])).toEqual(["validate"]);
    // A file argument completes as a file name.
    const examples = fileURLToPath(new URL("../../../examples/sim-dry", import.meta.url));
    expect(await complete(out.stdout, ["nepi", "validate", examples])).toEqual([EXAMPLE]);
  });
});
