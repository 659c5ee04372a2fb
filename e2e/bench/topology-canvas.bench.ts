import type { Page } from "@playwright/test";
import { generateTopology } from "@nepi/core";
import { test, expect } from "../fixtures.js";
import { DOCUMENT_FORMAT, importDocument } from "../helpers.js";

/**
 * Web benchmark of the network canvas: a star of 1,000 emulated hosts on one switch, 1,000 links
 * drawn as edges, all in view. The design is played by the Dry run button (the page's engine
 * simulates every host, switch and link): for every state change a node shows, the latency from
 * the engine's event (its `at`) to the node's `data-state` in the DOM, and the long tasks of the
 * main thread meanwhile. Prints figures; asserts only that the measurement happened.
 */
const HOSTS = 1000;

function starDocument() {
  const t = generateTopology({ kind: "star", hosts: HOSTS, link: { rate: "10mbit", delay: "5ms" } }, { firstGuid: 1 });
  return {
    format: DOCUMENT_FORMAT,
    name: `bench-star-${HOSTS}`,
    resources: t.resources,
    connections: t.connections,
    conditions: [],
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

type View = "whole design in view" | "zoomed to 100%";

test(`star of ${HOSTS} hosts and ${HOSTS} links, the whole design in view`, async ({ page, shot }) => {
  await measure(page, shot, "whole design in view");
});

test(`star of ${HOSTS} hosts and ${HOSTS} links, zoomed to 100%`, async ({ page, shot }) => {
  await measure(page, shot, "zoomed to 100%");
});

async function measure(page: Page, shot: (step: string) => Promise<void>, view: View): Promise<void> {
  const doc = starDocument();
  const total = doc.resources.length;
  const boxes = HOSTS + 1;
  await page.goto("/?debug");
  await expect(page.getByTestId("palette-item").first()).toBeVisible();
  const importStart = Date.now();
  await importDocument(page, doc, "star.json");
  await page.locator(".react-flow__controls-fitview").click();
  if (view === "whole design in view") {
    await expect(page.getByTestId("resource-node")).toHaveCount(boxes);
    await expect(page.locator(".react-flow__edge")).toHaveCount(HOSTS);
  } else {
    const scale = () =>
      page.locator(".react-flow__viewport").evaluate((el) => new DOMMatrixReadOnly(getComputedStyle(el).transform).a);
    while ((await scale()) < 1) {
      const before = await scale();
      await page.locator(".react-flow__controls-zoomin").click();
      await expect.poll(scale).toBeGreaterThan(before);
    }
  }
  const importMs = Date.now() - importStart;
  const drawnNodes = await page.getByTestId("resource-node").count();
  const drawnEdges = await page.locator(".react-flow__edge").count();
  await shot(`star imported, ${view}`);

  await page.evaluate(() => {
    const w = window as unknown as { __seen: [number, string, number][]; __longTasks: [number, number][]; __clickAt: number };
    w.__seen = [];
    w.__longTasks = [];
    // The Dry run click's own task builds the run in the page (the engine): told apart below.
    document.addEventListener("click", () => (w.__clickAt = performance.now()), { capture: true, once: true });
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
      for (const e of list.getEntries()) w.__longTasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: false });
  });

  // Every resource STARTED (hosts, the switch and the links run until released): wait in the page.
  const started = page.evaluate(
    (n) =>
      new Promise<void>((resolve) => {
        const done = () => document.querySelector('[data-testid="count-STARTED"]')?.getAttribute("data-count") === String(n);
        const observer = new MutationObserver(() => {
          if (done()) {
            observer.disconnect();
            resolve();
          }
        });
        observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-count"] });
      }),
    total,
  );
  const t0 = Date.now();
  await page.getByTestId("dry-run").click();
  await started;
  const wall = Date.now() - t0;
  await shot(`star started, ${view}`);

  const timeline = await page.evaluate(() =>
    (
      window as unknown as { __nepi: { run: { getState(): { timeline: { guid: number; state: string; at: number }[] } } } }
    ).__nepi.run
      .getState()
      .timeline.map((e) => ({ guid: e.guid, state: e.state, at: e.at })),
  );
  const seen = await page.evaluate(() => (window as unknown as { __seen: [number, string, number][] }).__seen);
  const { tasks, clickAt } = await page.evaluate(() => {
    const w = window as unknown as { __longTasks: [number, number][]; __clickAt: number };
    return { tasks: w.__longTasks, clickAt: w.__clickAt };
  });
  const inClick = ([start, duration]: [number, number]) => start <= clickAt && clickAt <= start + duration;
  const clickTask = tasks.find(inClick)?.[1];
  const longTasks = tasks.filter((t) => !inClick(t)).map(([, d]) => d);

  const eventAt = new Map<string, number>();
  for (const e of timeline) eventAt.set(`${e.guid}/${e.state}`, e.at);
  const all: number[] = [];
  const byState: Record<string, number[]> = {};
  for (const [guid, state, t] of seen) {
    const at = eventAt.get(`${guid}/${state}`);
    if (at === undefined) continue;
    all.push(t - at);
    (byState[state] ??= []).push(t - at);
  }
  const fmt = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `n=${s.length} p50=${percentile(s, 50).toFixed(1)}ms p95=${percentile(s, 95).toFixed(1)}ms max=${s[s.length - 1]?.toFixed(1)}ms`;
  };
  const lines = [
    `web topology bench (${view}): ${HOSTS} hosts + 1 switch + ${HOSTS} links, ${drawnNodes} boxes and ${drawnEdges} edges drawn, ${timeline.length} engine transitions, ${seen.length} data-state changes seen`,
    `import → drawn: ${importMs} ms; dry-run click → all ${total} STARTED in the page: ${wall} ms`,
    `event → data-state latency, all: ${fmt(all)}`,
    ...Object.entries(byState).map(([s, xs]) => `  ${s.padEnd(11)} ${fmt(xs)}`),
    `the Dry run click's task (the page's engine builds and deploys the run, the canvas shows it): ${clickTask === undefined ? "under 50 ms" : `${clickTask.toFixed(0)} ms`}`,
    `long tasks after it: ${longTasks.length}, longest ${longTasks.length ? Math.max(...longTasks).toFixed(0) : 0} ms, total ${longTasks.reduce((a, b) => a + b, 0).toFixed(0)} ms`,
  ];
  console.log(lines.join("\n"));
  test.info().annotations.push({ type: "figures", description: lines.join("\n") });
  expect(all.length).toBeGreaterThan(0);
}
