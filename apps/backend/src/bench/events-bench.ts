/**
 * Backend benchmark (`npm run bench -w @nepi/backend`): N concurrent runs of M sim::Task
 * resources each, S WebSocket subscribers spread over the runs. Prints the latency from a
 * transition in the engine (its `at` time) to a subscriber's receipt (p50, p99, max) and the
 * server's peak memory (VmHWM of the server process, which runs as a child like `npm start`)
 * and the CPU time the server spent from the runs' start until every subscriber was done.
 *
 * Two scenarios: "spread" (tasks with random deploy times and durations, as real experiments
 * have; all tasks of a run still start together) and "burst" (no deploy time, every task
 * runs 3 s: the 10,000 tasks finish in the same few milliseconds, 20,000 messages to send at
 * once — the worst case for fan-out; subscribers connect during those 3 s).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTRPCClient, createWSClient, httpLink, splitLink, wsLink } from "@trpc/client";
import WebSocket from "ws";
import type { ExperimentDocumentInput, RunEvent } from "@nepi/core";
import type { AppRouter } from "../router/index.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const RESOURCES = Number(process.env.BENCH_RESOURCES ?? 1000);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 20);
const MAIN = fileURLToPath(new URL("../server/main.js", import.meta.url));

type Scenario = "spread" | "burst";

function attributes(scenario: Scenario, rand: () => number): Record<string, string> {
  return scenario === "spread"
    ? { deployTime: `${Math.round(rand() * 2000)}ms`, duration: `${1000 + Math.round(rand() * 4000)}ms` }
    : { duration: "3s" };
}

function design(scenario: Scenario, n: number, seed: number): ExperimentDocumentInput {
  let x = seed;
  const rand = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return {
    format: "nepi-experiment@1",
    name: `bench-${scenario}-${seed}`,
    resources: Array.from({ length: n }, (_, i) => ({
      guid: i + 1,
      type: "sim::Task",
      attributes: attributes(scenario, rand),
    })),
  };
}

async function startServerProcess(dataDir: string): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  // BENCH_SERVER_ARGS: extra node flags for the server (e.g. --cpu-prof to profile it).
  const extra = (process.env.BENCH_SERVER_ARGS ?? "").split(" ").filter(Boolean);
  const proc = spawn(process.execPath, [...extra, MAIN], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", NEPI_DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = "";
    proc.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      const m = /listening on (http:\/\/\S+?\/)/.exec(buf);
      if (m) resolve(m[1]!);
    });
    proc.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  proc.stdout!.resume();
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  return {
    url,
    pid: proc.pid!,
    stop: async () => {
      proc.kill("SIGTERM");
      await exited;
    },
  };
}

function peakMemoryMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)![1]);
  return kb / 1024;
}

/** CPU time the process has used so far (user + system), in seconds. */
function cpuSeconds(pid: number): number {
  // /proc/<pid>/stat: fields after the command name; utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

type Mode = "events" | "eventBatches";

async function scenario(name: Scenario, mode: Mode): Promise<Record<string, number | string>> {
  const dataDir = mkdtempSync(join(tmpdir(), "nepi-bench-"));
  const server = await startServerProcess(dataDir);
  const http = createTRPCClient<AppRouter>({ links: [httpLink({ url: server.url + "trpc" })] });
  const ids = await Promise.all(
    Array.from({ length: RUNS }, (_, i) => http.experiments.save.mutate({ document: design(name, RESOURCES, i + 1) })),
  );
  // One WebSocket connection per subscriber, as separate browsers would have.
  const subscribers = Array.from({ length: SUBSCRIBERS }, () => {
    const ws = createWSClient({ url: server.url.replace("http", "ws") + "trpc", WebSocket: WebSocket as never });
    const client = createTRPCClient<AppRouter>({
      links: [
        splitLink({
          condition: (op) => op.type === "subscription",
          true: wsLink({ client: ws }),
          false: httpLink({ url: server.url + "trpc" }),
        }),
      ],
    });
    return { ws, client };
  });

  const latencies: number[] = [];
  let received = 0;
  const t0 = performance.now();
  const cpu0 = cpuSeconds(server.pid);
  const runIds = await Promise.all(ids.map(({ id }) => http.runs.start.mutate({ experimentId: id }).then((r) => r.runId)));
  const done = subscribers.map(
    ({ client }, i) =>
      new Promise<void>((resolve, reject) => {
        const runId = runIds[i % RUNS]!;
        // A fresh subscription (snapshot, then live events): what a browser opening the run
        // gets. Only live transitions are timed; those before the snapshot are in it.
        const onEvent = (e: RunEvent, stop: () => void) => {
          if (e.type === "snapshot" && e.status !== "RUNNING") stop();
          else if (e.type === "transition") {
            latencies.push(Date.now() - e.event.at);
            received++;
          } else if (e.type === "status" && e.status !== "RUNNING") stop();
        };
        if (mode === "events") {
          const sub = client.runs.events.subscribe(
            { runId },
            {
              onData: ({ data }) =>
                onEvent(data as RunEvent, () => {
                  sub.unsubscribe();
                  resolve();
                }),
              onError: reject,
            },
          );
        } else {
          let ended = false;
          const sub = client.runs.eventBatches.subscribe(
            { runId },
            {
              onData: ({ data }) => {
                for (const e of data.events) {
                  onEvent(e as RunEvent, () => {
                    ended = true;
                  });
                }
                if (ended) {
                  sub.unsubscribe();
                  resolve();
                }
              },
              onError: reject,
            },
          );
        }
      }),
  );
  await Promise.all(done);
  const wall = performance.now() - t0;
  const cpu = cpuSeconds(server.pid) - cpu0;
  await Promise.all(runIds.map((runId) => http.runs.release.mutate({ runId })));
  const peak = peakMemoryMB(server.pid);
  for (const s of subscribers) void s.ws.close();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });

  latencies.sort((a, b) => a - b);
  return {
    scenario: name,
    stream: `runs.${mode}`,
    runs: RUNS,
    resources: RUNS * RESOURCES,
    subscribers: SUBSCRIBERS,
    "events delivered": received,
    "wall s": +(wall / 1000).toFixed(2),
    "p50 ms": percentile(latencies, 50),
    "p99 ms": percentile(latencies, 99),
    "max ms": latencies.at(-1) ?? NaN,
    "server peak MB": +peak.toFixed(0),
    "server CPU s": +cpu.toFixed(2),
  };
}

const rows = [];
const only = process.env.BENCH_SCENARIO as Scenario | undefined;
const onlyMode = process.env.BENCH_MODE as Mode | undefined;
for (const s of ["spread", "burst"] as const) {
  for (const m of ["events", "eventBatches"] as const) {
    if ((!only || only === s) && (!onlyMode || onlyMode === m)) rows.push(await scenario(s, m));
  }
}
console.log(
  `NEPI backend benchmark — ${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}`,
);
console.table(rows);
console.log("Targets: p99 < 50 ms, server peak memory < 300 MB.");
