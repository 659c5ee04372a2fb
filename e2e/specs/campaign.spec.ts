import { test, expect } from "../fixtures.js";
import { DOCUMENT_FORMAT, importDocument, node, openDockTab, selectNode, uniqueName } from "../helpers.js";

test("a campaign swept from the inspector: the grid fills live, the chart has a point per value, a cell reopens its run", async ({
  app: page,
  shot,
}) => {
  const name = uniqueName("campaign");
  await importDocument(page, {
    format: DOCUMENT_FORMAT,
    name,
    resources: [
      { guid: 1, type: "sim::Task", label: "task", attributes: { duration: "100ms" }, traces: [], position: { x: 0, y: 0 } },
    ],
    connections: [],
    conditions: [],
  });

  // Sweep the task's duration over two values, from the inspector.
  await selectNode(page, 1);
  await page.getByTestId("sweep-duration").click();
  await page.getByTestId("sweep-values").fill("100ms, 300ms");
  await page.getByTestId("sweep-apply").click();
  await expect(page.getByTestId("sweep-duration")).toHaveText("Swept: 100ms, 300ms");

  // Three runs per point, the task's duration as the metric.
  await openDockTab(page, "campaign");
  await expect(page.getByTestId("campaign-parameter")).toHaveText(/task\.duration/);
  await page.getByTestId("campaign-count").fill("3");
  await page.getByTestId("campaign-add-metric").click();
  await expect(page.getByTestId("campaign-metric-name")).toHaveValue("duration");
  await expect(page.getByTestId("campaign-problems")).toHaveCount(0);
  await shot("campaign set up");

  // Every status a grid cell takes, as the page shows it.
  await page.evaluate(() => {
    const seen = new Set<string>();
    (window as unknown as { __cells: Set<string> }).__cells = seen;
    new MutationObserver(() => {
      document.querySelectorAll('[data-testid="campaign-cell"]').forEach((c) => seen.add(c.getAttribute("data-status")!));
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"] });
  });
  await page.getByTestId("campaign-run").click();
  const cells = page.getByTestId("campaign-cell");
  await expect(cells).toHaveCount(6);
  await expect(page.locator('[data-testid="campaign-cell"][data-status="ok"]')).toHaveCount(6);
  await expect(page.getByTestId("campaign-status")).toHaveAttribute("data-status", "FINISHED");
  const seen = await page.evaluate(() => [...(window as unknown as { __cells: Set<string> }).__cells]);
  // The grid filled while the campaign ran: cells were pending, then running, before they were ok.
  expect(seen).toEqual(expect.arrayContaining(["pending", "running", "ok"]));

  // The chart: the mean of each value, the slower task taking longer.
  await expect(page.getByTestId("campaign-chart")).toHaveAttribute("data-points", "2");
  const rows = page.getByTestId("campaign-summary-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText("task.duration=100ms");
  await expect(rows.nth(1)).toContainText("task.duration=300ms");
  const [fast, slow] = (await page.getByTestId("campaign-mean").allTextContents()).map(Number);
  expect(fast).toBeGreaterThanOrEqual(100);
  expect(slow).toBeGreaterThanOrEqual(300);
  expect(slow).toBeGreaterThan(fast!);
  await shot("campaign finished");

  // The CSV downloads: a row per run, a row per point.
  const runsCsv = await page.request.get((await page.getByTestId("campaign-runs-csv").getAttribute("href"))!);
  expect(runsCsv.ok()).toBe(true);
  expect((await runsCsv.text()).trim().split("\n")).toHaveLength(7);
  const summaryCsv = await page.request.get((await page.getByTestId("campaign-summary-csv").getAttribute("href"))!);
  expect((await summaryCsv.text()).trim().split("\n")).toHaveLength(3);

  // A cell opens its run as the run history does: read-only, with the point's value.
  await page.locator('[data-testid="campaign-cell"][data-point="2"][data-run="1"]').click();
  await expect(page.getByTestId("history-banner")).toBeVisible();
  await expect(node(page, 1)).toHaveAttribute("data-state", "RELEASED");
  await selectNode(page, 1);
  await expect(page.getByTestId("attr-duration")).toHaveValue("300ms");
  await shot("a campaign run reopened");
  await page.getByTestId("close-run").click();
  await expect(page.getByTestId("history-banner")).toHaveCount(0);
});

test("a campaign stopped half-way resumes with only the runs it lacks", async ({ app: page, shot }) => {
  await importDocument(page, {
    format: DOCUMENT_FORMAT,
    name: uniqueName("campaign stop"),
    resources: [
      { guid: 1, type: "sim::Task", label: "slow", attributes: { duration: "400ms" }, traces: [], position: { x: 0, y: 0 } },
    ],
    connections: [],
    conditions: [],
  });
  // No sweep: repeated runs of the design as it is.
  await openDockTab(page, "campaign");
  await page.getByTestId("campaign-add").click();
  await page.getByTestId("campaign-add-metric").click();
  await page.getByTestId("campaign-run").click();
  const ok = page.locator('[data-testid="campaign-cell"][data-status="ok"]');
  await expect(ok).toHaveCount(1);
  // Stopped while the second run is under way: that run is released and not counted.
  await expect(page.locator('[data-testid="campaign-cell"][data-status="running"]')).toHaveCount(1);
  await page.getByTestId("campaign-stop").click();
  await expect(page.getByTestId("campaign-status")).toHaveAttribute("data-status", "STOPPED");
  await expect(page.locator('[data-testid="campaign-cell"][data-status="stopped"]')).toHaveCount(1);
  await shot("campaign stopped");

  await page.getByTestId("campaign-resume").click();
  await expect(page.getByTestId("campaign-status")).toHaveAttribute("data-status", "FINISHED");
  await expect(ok).toHaveCount(3);
  // Every run once: three successful ones in the summary, the stopped one not counted.
  await expect(page.getByTestId("campaign-summary-row").locator("td").nth(1)).toHaveText("3");
  await expect(page.getByTestId("campaign-summary-row").locator("td").nth(2)).toHaveText("0");
  await shot("campaign resumed and finished");
});
