#!/usr/bin/env node
// `npm test`: typecheck, lint and check the format of every workspace, then run every suite, each step to the end even
// when something fails (turbo --continue), so one failure never hides another. Ends with one line,
// "N passed, N failed": the tests vitest and Playwright counted, plus one failure for each task
// that failed without a failing test to show for it (a type error, a lint error, a suite that
// crashed). Exits 0 only when nothing failed.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const turbo = fileURLToPath(new URL("../node_modules/.bin/turbo", import.meta.url));

const steps = [
  // Only the failing tasks' logs: a clean check says nothing.
  ["run", "typecheck", "lint", "lint:root", "format:check", "--continue", "--output-logs=errors-only"],
  // One suite at a time: CI has 2 cores and the suites run real processes.
  ["run", "test", "--concurrency=1", "--continue"],
];

/** Runs turbo, echoing its output, and collects what the summary needs from its lines. */
function runTurbo(args, tally) {
  return new Promise((resolve) => {
    const child = spawn(turbo, args, { cwd: root, stdio: ["inherit", "pipe", "pipe"] });
    for (const [stream, out] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ]) {
      let rest = "";
      stream.on("data", (chunk) => {
        out.write(chunk);
        const lines = (rest + chunk.toString("utf8")).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) tally.read(line);
      });
      stream.on("end", () => tally.read(rest));
    }
    child.on("error", (err) => {
      process.stderr.write(`npm test: cannot run turbo: ${err.message}\n`);
      tally.failedTasks.add(`turbo ${args[1]}`);
      resolve(1);
    });
    child.on("close", (code) => resolve(code ?? 1));
  });
}

function newTally() {
  /** Tests failed per task ("@nepi/core#test"), as its runner reported them. */
  const failedTests = new Map();
  const failedTasks = new Set();
  let passed = 0;
  const count = (text, word) => Number(new RegExp(`(\\d+) ${word}`).exec(text)?.[1] ?? 0);
  return {
    failedTasks,
    read(raw) {
      // eslint-disable-next-line no-control-regex -- colour codes are escape sequences
      const line = raw.replace(/\x1b\[[0-9;]*m/g, "");
      const task = /^(\S+?):(\S+?): /.exec(line);
      const name = task ? `${task[1]}#${task[2]}` : "";
      const text = task ? line.slice(task[0].length) : line;
      // vitest: "      Tests  412 passed | 2 failed (414)"; Playwright: "  12 passed (1.2m)", "  1 failed".
      const vitest = /^\s*Tests\s+\d/.test(text);
      const playwright = /^\s+\d+ (passed|failed)\b/.test(text) && name === "@nepi/e2e#test";
      if (vitest || playwright) {
        passed += count(text, "passed");
        const failed = count(text, "failed");
        if (failed) failedTests.set(name, (failedTests.get(name) ?? 0) + failed);
      }
      // turbo's closing lines: "Failed:    @nepi/web#lint, @nepi/core#test".
      const failedLine = /^\s*Failed:\s+(.+)$/.exec(line);
      if (failedLine) for (const t of failedLine[1].split(",")) failedTasks.add(t.trim());
    },
    summary() {
      const tests = [...failedTests.values()].reduce((a, b) => a + b, 0);
      const silent = [...failedTasks].filter((t) => !failedTests.has(t));
      return { passed, failed: tests + silent.length, silent };
    },
  };
}

const tally = newTally();
let status = 0;
for (const args of steps) {
  const code = await runTurbo(args, tally);
  if (code !== 0) status = 1;
}
const { passed, failed, silent } = tally.summary();
if (silent.length) process.stdout.write(`\nfailed without a failing test: ${silent.join(", ")}\n`);
// A failure turbo reported but nothing counted (no "Failed:" line) still fails the run.
const total = status !== 0 && failed === 0 ? 1 : failed;
process.stdout.write(`\n${passed} passed, ${total} failed\n`);
process.exit(total === 0 && status === 0 ? 0 : 1);
