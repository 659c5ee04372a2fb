import type { Page } from "@playwright/test";
import { test, expect } from "../fixtures.js";
import { DOCUMENT_FORMAT, importDocument } from "../helpers.js";
import { subscribeFromNode } from "../node-subscriber.js";

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
      // Deploy takes 500ms, so the page is subscribed before the first transition: then
      // bursts of 1,000 (DISCOVERED…READY, STARTED: they start together), and the ends spread
      // over ~2.5 s (FINISHED arrive as a stream).
      attributes: { deployTime: "500ms", duration: `${200 + (i % 50) * 50}ms` },
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

type View = "whole design in view" | "zoomed to 100%";

test(`state latency with ${N} nodes, the whole design in view`, async ({ page, shot }) => {
  await measure(page, shot, "whole design in view");
});

test(`state latency with ${N} nodes, zoomed to 100% (off-screen nodes not drawn)`, async ({ page, shot }) => {
  await measure(page, shot, "zoomed to 100%");
});

async function measure(page: Page, shot: (step: string) => Promise<void>, view: View): Promise<void> {
  // Note when each transition reaches the page (before the app's code sees it), to split the
  // latency into delivery (engine → page) and display (page → DOM).
  await page.addInitScript(() => {
    const w = window as unknown as { __arrived: [number, string, number][] };
    w.__arrived = [];
    const NativeWebSocket = window.WebSocket;
    window.WebSocket = class extends NativeWebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        this.addEventListener("message", (m) => {
          const t = performance.timeOrigin + performance.now();
          const text = String(m.data);
          if (!text.includes('"transition"')) return;
          for (const match of text.matchAll(/"guid":(\d+),"state":"([A-Z]+)"/g))
            w.__arrived.push([Number(match[1]), match[2], t]);
        });
      }
    };
  });
  await page.goto("/");
  await expect(page.getByTestId("palette-item").first()).toBeVisible();
  await importDocument(page, designOf(N), "bench.json");
  await expect(page.getByTestId("resource-node").first()).toBeVisible();
  // Worst case: every node drawn (the whole design fits the view). Usual case: 100% zoom,
  // where the canvas draws only the nodes in view.
  await page.locator(".react-flow__controls-fitview").click();
  if (view === "whole design in view") {
    await expect(page.getByTestId("resource-node")).toHaveCount(N);
  } else {
    const scale = () =>
      page.locator(".react-flow__viewport").evaluate((el) => new DOMMatrixReadOnly(getComputedStyle(el).transform).a);
    while ((await scale()) < 1) {
      const before = await scale();
      await page.locator(".react-flow__controls-zoomin").click();
      await expect.poll(scale).toBeGreaterThan(before);
    }
    expect(await page.getByTestId("resource-node").count()).toBeLessThan(N);
  }
  const drawn = await page.getByTestId("resource-node").count();
  await shot(`${N} nodes imported, ${view}`);

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
    }).observe(document.querySelector('[data-testid="canvas"]')!, {
      subtree: true,
      attributes: true,
      attributeFilter: ["data-state"],
    });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push(e.duration);
    }).observe({ type: "longtask", buffered: false });
  });

  const t0 = Date.now();
  // Wait in the page, on DOM events: polling from here would load the page while it renders.
  const finished = page.evaluate(
    (n) =>
      new Promise<void>((resolve) => {
        const done = () => document.querySelector('[data-testid="count-FINISHED"]')?.getAttribute("data-count") === String(n);
        const observer = new MutationObserver(() => {
          if (done()) {
            observer.disconnect();
            resolve();
          }
        });
        observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-count"] });
      }),
    N,
  );
  await page.getByTestId("deploy").click();
  // A reference subscriber outside the browser, on the same run: the backend's delivery alone.
  const runIdShown = await page.getByTestId("run-status").getAttribute("data-run-id");
  const reference = await subscribeFromNode(process.env.NEPI_E2E_URL!, runIdShown!);
  await finished;
  reference.close();
  const wall = Date.now() - t0;
  await shot(`${N} nodes finished, ${view}`);

  const runId = await page.getByTestId("run-status").getAttribute("data-run-id");
  const baseURL = process.env.NEPI_E2E_URL!;
  const timeline = await fetchTimeline(baseURL, runId);
  const seen = await page.evaluate(() => (window as unknown as { __seen: [number, string, number][] }).__seen);
  const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);

  const arrived = await page.evaluate(() => (window as unknown as { __arrived: [number, string, number][] }).__arrived);

  // Match each DOM change to the engine event of the same guid and state.
  const eventAt = new Map<string, number>();
  for (const e of timeline) eventAt.set(`${e.guid}/${e.state}`, e.at);
  const arrivedAt = new Map<string, number>();
  for (const [guid, state, t] of arrived) arrivedAt.set(`${guid}/${state}`, t);
  const delivery: number[] = [];
  const display: number[] = [];
  const split: Record<string, { delivery: number[]; display: number[] }> = {};
  const byState: Record<string, number[]> = {};
  const all: number[] = [];
  for (const [guid, state, t] of seen) {
    const at = eventAt.get(`${guid}/${state}`);
    if (at === undefined) continue;
    const latency = t - at;
    all.push(latency);
    (byState[state] ??= []).push(latency);
    const inPage = arrivedAt.get(`${guid}/${state}`);
    if (inPage !== undefined) {
      delivery.push(inPage - at);
      display.push(t - inPage);
      const sp = (split[state] ??= { delivery: [], display: [] });
      sp.delivery.push(inPage - at);
      sp.display.push(t - inPage);
    }
  }
  all.sort((a, b) => a - b);
  const referenceOf = (state: string) => reference.transitions.filter((t) => t.state === state).map((t) => t.receivedAt - t.at);
  const fmt = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `n=${s.length} p50=${percentile(s, 50).toFixed(1)}ms p95=${percentile(s, 95).toFixed(1)}ms max=${s[s.length - 1].toFixed(1)}ms`;
  };
  const lines = [
    `web bench (${view}): ${N} sim::Task nodes, ${drawn} drawn, ${timeline.length} engine transitions, ${seen.length} data-state changes seen in the page`,
    `deploy click → all FINISHED in the page: ${wall} ms`,
    `event → data-state latency, all: ${fmt(all)}`,
    ...Object.entries(byState)
      .filter(([, xs]) => xs.length >= drawn / 2)
      .flatMap(([s, xs]) => [
        `  ${s.padEnd(11)} ${fmt(xs)}`,
        ...(split[s] ? [`    delivery ${fmt(split[s].delivery)}`, `    display  ${fmt(split[s].display)}`] : []),
        ...(referenceOf(s).length ? [`    (Node subscriber: ${fmt(referenceOf(s))})`] : []),
      ]),
    `  reference: engine → a Node subscriber (no browser): ${fmt(reference.transitions.map((t) => t.receivedAt - t.at))}`,
    ...(delivery.length
      ? [
          `  of which delivery (engine → page's WebSocket): ${fmt(delivery)}`,
          `  of which display (WebSocket → data-state):   ${fmt(display)}`,
        ]
      : []),
    `long tasks during the run: ${longTasks.length}, longest ${longTasks.length ? Math.max(...longTasks).toFixed(0) : 0} ms, total ${longTasks.reduce((a, b) => a + b, 0).toFixed(0)} ms`,
  ];
  console.log(lines.join("\n"));
  test.info().annotations.push({ type: "figures", description: lines.join("\n") });
  expect(all.length).toBeGreaterThanOrEqual(drawn);
}

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
