/**
 * Engine benchmark: `npm run bench -w @nepi/core`. Figures, not assertions.
 *
 * Each size runs in a child process of its own, so that the peak memory (maxRSS) belongs to that
 * size alone. Prints, side by side with the targets of issue 7 and the figures of a minimal
 * event-driven prototype measured on this kind of machine.
 */
import { fork } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import os from "node:os";
import { ExperimentController } from "../index.js";

interface LifecycleResult {
  n: number;
  registerMs: number;
  finishedMs: number;
  releasedMs: number;
  peakMb: number;
}
interface LatencyResult {
  others: number;
  medianMs: number;
  p99Ms: number;
  peakMb: number;
}

const SIZES = [1_000, 10_000, 50_000, 100_000];

async function lifecycle(n: number): Promise<LifecycleResult> {
  const t0 = performance.now();
  const ec = new ExperimentController();
  const guids = new Array<number>(n);
  for (let i = 0; i < n; i++) guids[i] = ec.registerResource("sim::Task", { duration: "0s" });
  const t1 = performance.now();
  ec.deploy();
  await ec.waitFinished(guids);
  const t2 = performance.now();
  await ec.release();
  const t3 = performance.now();
  return {
    n,
    registerMs: t1 - t0,
    finishedMs: t2 - t1,
    releasedMs: t3 - t1,
    peakMb: process.resourceUsage().maxRSS / 1024,
  };
}

/** A chain of zero-delay START conditions: each hop measured alone, with `others` resources running. */
async function conditionLatency(others: number, hops = 2_000): Promise<LatencyResult> {
  const ec = new ExperimentController();
  const background: number[] = [];
  for (let i = 0; i < others; i++) background.push(ec.registerResource("sim::Task", {}));
  const chain: number[] = [];
  for (let i = 0; i <= hops; i++) {
    const g = ec.registerResource("sim::Task", {});
    if (i > 0) ec.registerCondition(g, "START", chain[i - 1]!, "STARTED");
    chain.push(g);
  }
  const startedAt = new Map<number, number>();
  ec.on("state", (e) => {
    if (e.state === "STARTED") startedAt.set(e.guid, performance.now());
  });
  // Deploy everything first, then start the chain's head by hand: hops run with the rest idle.
  ec.deploy(undefined, { startTogether: false });
  ec.registerCondition(chain[0]!, "START", background.length > 0 ? background : [chain[hops]!], "STARTED");
  await ec.waitStarted(chain);
  const samples: number[] = [];
  for (let i = 1; i <= hops; i++) samples.push(startedAt.get(chain[i]!)! - startedAt.get(chain[i - 1]!)!);
  samples.sort((a, b) => a - b);
  await ec.release();
  return {
    others,
    medianMs: samples[Math.floor(samples.length / 2)]!,
    p99Ms: samples[Math.floor(samples.length * 0.99)]!,
    peakMb: process.resourceUsage().maxRSS / 1024,
  };
}

function runChild(args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), args, { execArgv: ["--expose-gc"] });
    child.once("message", resolve);
    child.once("error", reject);
    child.once("exit", (code) => code !== 0 && reject(new Error(`bench child exited with ${code}`)));
  });
}

const pad = (s: string | number, w: number) => String(s).padStart(w);
const f1 = (x: number) => x.toFixed(1);
const f3 = (x: number) => x.toFixed(3);

async function main(): Promise<void> {
  const [mode, arg] = process.argv.slice(2);
  if (mode === "lifecycle") return void process.send!(await lifecycle(Number(arg)));
  if (mode === "latency") return void process.send!(await conditionLatency(Number(arg)));

  console.log(
    `NEPI Studio engine benchmark — ${os.cpus()[0]?.model ?? "cpu"} × ${os.cpus().length}, node ${process.version}, ${new Date().toISOString()}`,
  );
  console.log("\nsim::Task resources with zero delays, deploy() → every resource FINISHED → RELEASED (best of 3 processes)");
  console.log(
    `${pad("resources", 10)} ${pad("register ms", 12)} ${pad("→FINISHED ms", 13)} ${pad("→RELEASED ms", 13)} ${pad("µs/resource", 12)} ${pad("peak RSS MB", 12)}`,
  );
  const results: LifecycleResult[] = [];
  for (const n of SIZES) {
    // Best of 3 fresh processes: the figure of the code, not of whatever else the machine runs.
    let r: LifecycleResult | undefined;
    for (let i = 0; i < 3; i++) {
      const x = (await runChild(["lifecycle", String(n)])) as LifecycleResult;
      if (!r || x.releasedMs < r.releasedMs) r = x;
    }
    r = r!;
    results.push(r);
    console.log(
      `${pad(n.toLocaleString("en"), 10)} ${pad(f1(r.registerMs), 12)} ${pad(f1(r.finishedMs), 13)} ${pad(f1(r.releasedMs), 13)} ${pad(f1((r.releasedMs * 1000) / n), 12)} ${pad(f1(r.peakMb), 12)}`,
    );
  }
  const r10k = results.find((r) => r.n === 10_000)!;
  const r100k = results.find((r) => r.n === 100_000)!;
  console.log("\n                                   measured     target       prototype (same machine kind)");
  console.log(`10,000 whole lifecycle           ${pad(f1(r10k.releasedMs) + " ms", 10)}   < 300 ms     270–350 ms`);
  console.log(`10,000 peak memory               ${pad(f1(r10k.peakMb) + " MB", 10)}   < 150 MB`);
  console.log(
    `100,000 / 10,000 time ratio      ${pad(f1(r100k.releasedMs / r10k.releasedMs) + "×", 10)}   ≤ 12×        1.8 s / ~0.3 s ≈ 6×`,
  );
  console.log(`100,000 whole lifecycle          ${pad(f1(r100k.releasedMs) + " ms", 10)}                1,800 ms`);

  console.log("\nA STARTED → B STARTED under a zero-delay START condition (2,000 hops of a chain)");
  console.log(`${pad("other resources", 16)} ${pad("median ms", 10)} ${pad("p99 ms", 10)}   target: median < 0.5 ms, p99 < 5 ms`);
  for (const others of [1, 10_000]) {
    const r = (await runChild(["latency", String(others)])) as LatencyResult;
    console.log(`${pad(others.toLocaleString("en"), 16)} ${pad(f3(r.medianMs), 10)} ${pad(f3(r.p99Ms), 10)}`);
  }
}

await main();
