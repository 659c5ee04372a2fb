import { test, expect } from "../fixtures.js";
import { DOCUMENT_FORMAT, importDocument } from "../helpers.js";

/**
 * Web benchmark: 1,000 sim::Task resources on the canvas, deployed on the real backend.
 * For every transition the page shows, the latency from the engine's event (its `at`, ms since
 * the epoch on this same machine) to the moment the node's `data-state` changed in the DOM.
 * Prints p50/p95/max; asserts only that the measurement happened (no timed assertion).
 */
const N = 1000;
const COLS = 40;

function designOf(n: number) {
  return {
    format: DOCUMENT_FORMAT,
    name: `bench-${n}-tasks`,
    resources: Array.from({ length: n }, (_, i) => ({
      guid: i + 1,
      type: "sim::Task",
      label: `t${i + 1}`,
      // Spread the ends over ~2.5 s so FINISHED transitions arrive as a stream, after the
      // deploy/start bursts of 1,000 transitions each.
      attributes: { duration: `${200 + (i % 50) * 50}ms` },
      traces: [],
      position: { x: (i % COLS) * 240, y: Math.floor(i / COLS) * 140 },
    })),
    connections: [],
    conditions: [],
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

test(`state latency with ${N} nodes`, async ({ app: page, shot }) => {
  await importDocument(page, designOf(N), "bench.json");
  await expect(page.getByTestId("resource-node").first()).toBeVisible();
  // Every node must be in the DOM to be measured: fit the whole design in view.
  await page.locator(".react-flow__controls-fitview").click();
  await expect(page.getByTestId("resource-node")).toHaveCount(N);
  await shot("1000 nodes imported");

  // In the page: note when each node's data-state changes (the time a person could see it),
  // and how long the main thread was blocked (long tasks) during the run.
  await page.evaluate(() => {
    const w = window as unknown as { __seen: [number, string, number][]; __longTasks: number[] };
    w.__seen = [];
    w.__longTasks = [];
    new MutationObserver((records) => {
      const t = performance.timeOrigin + performance.now();
      for (const r of records) {
        const el = r.target as Element;
        w.__seen.push([Number(el.getAttribute("data-guid")), el.getAttribute("data-state") ?? "", t]);
      }
    }).observe(document.querySelector('[data-testid="canvas"]')!, { subtree: true, attributes: true, attributeFilter: ["data-state"] });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push(e.duration);
    }).observe({ type: "longtask", buffered: false });
  });

  const t0 = Date.now();
  await page.getByTestId("deploy").click();
  await expect(page.locator('[data-testid="count-FINISHED"]')).toHaveAttribute("data-count", String(N));
  const wall = Date.now() - t0;
  await shot("1000 nodes finished");

  const runId = await page.getByTestId("run-status").getAttribute("data-run-id");
  const baseURL = process.env.NEPI_E2E_URL!;
  const timeline = await fetchTimeline(baseURL, runId);
  const seen = await page.evaluate(() => (window as unknown as { __seen: [number, string, number][] }).__seen);
  const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);

  // Match each DOM change to the engine event of the same guid and state.
  const eventAt = new Map<string, number>();
  for (const e of timeline) eventAt.set(`${e.guid}/${e.state}`, e.at);
  const byState: Record<string, number[]> = {};
  const all: number[] = [];
  for (const [guid, state, t] of seen) {
    const at = eventAt.get(`${guid}/${state}`);
    if (at === undefined) continue;
    const latency = t - at;
    all.push(latency);
    (byState[state] ??= []).push(latency);
  }
  all.sort((a, b) => a - b);
  const fmt = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `n=${s.length} p50=${percentile(s, 50).toFixed(1)}ms p95=${percentile(s, 95).toFixed(1)}ms max=${s[s.length - 1].toFixed(1)}ms`;
  };
  const lines = [
    `web bench: ${N} sim::Task nodes, ${timeline.length} engine transitions, ${seen.length} data-state changes seen in the page`,
    `deploy click → all FINISHED in the page: ${wall} ms`,
    `event → data-state latency, all: ${fmt(all)}`,
    ...Object.entries(byState).map(([s, xs]) => `  ${s.padEnd(11)} ${fmt(xs)}`),
    `long tasks during the run: ${longTasks.length}, longest ${longTasks.length ? Math.max(...longTasks).toFixed(0) : 0} ms, total ${longTasks.reduce((a, b) => a + b, 0).toFixed(0)} ms`,
  ];
  console.log(lines.join("\n"));
  test.info().annotations.push({ type: "figures", description: lines.join("\n") });
  expect(all.length).toBeGreaterThan(N);
});

interface TimelineEvent {
  guid: number;
  state: string;
  at: number;
}

/** The run's timeline through the public API (plain JSON tRPC over HTTP). */
async function fetchTimeline(baseURL: string, runId: string | null): Promise<TimelineEvent[]> {
  if (!runId) throw new Error("the page did not expose the run id");
  const res = await fetch(`${baseURL}/trpc/runs.get?input=${encodeURIComponent(JSON.stringify({ runId }))}`);
  const body = (await res.json()) as { result?: { data: { timeline: TimelineEvent[] } }; error?: unknown };
  if (!body.result) throw new Error(`runs.get failed: ${JSON.stringify(body.error)}`);
  return body.result.data.timeline;
}
