import { readFileSync } from "node:fs";
import { list } from "tar";
import { test, expect } from "../fixtures.js";
import {
  connect,
  dragFromPalette,
  drawCondition,
  node,
  openDockTab,
  recordStates,
  recordedStates,
  selectNode,
  setAttr,
} from "../helpers.js";

/**
 * The journey of a new user, with the mouse: design a node, an application and a ping with a
 * condition, deploy on this machine, watch the states, read the traces, release, reload and
 * reopen the run from the history.
 */
test("a new user designs, deploys, watches and reopens a run", async ({ app: page, shot }) => {
  await shot("app opened");
  await page.getByTestId("design-name").fill("ping journey");

  const host = await dragFromPalette(page, "linux::Node", { x: 150, y: 250 });
  await selectNode(page, host);
  await setAttr(page, "hostname", "localhost");
  const application = await dragFromPalette(page, "linux::Application", { x: 440, y: 100 });
  await selectNode(page, application);
  await setAttr(page, "command", "echo hello; sleep 1");
  await connect(page, application, host);
  await expect(page.locator(".react-flow__edge")).toHaveCount(1);
  await shot("node and application connected");

  const ping = await dragFromPalette(page, "linux::Ping", { x: 440, y: 400 });
  await selectNode(page, ping);
  await setAttr(page, "target", "127.0.0.1");
  await setAttr(page, "count", "3");
  await setAttr(page, "interval", "0.2");
  await connect(page, ping, host);
  await expect(page.locator(".react-flow__edge")).toHaveCount(2);

  // The ping starts 1s after the application STARTED.
  await drawCondition(page, application, ping);
  const label = page.getByTestId("condition-label");
  await expect(label).toHaveCount(1);
  await label.click();
  await page.getByTestId("cond-delay").fill("1s");
  await page.getByTestId("cond-delay").press("Tab");
  await expect(label).toHaveText("START after STARTED + 1s");
  await expect(page.getByTestId("problems")).not.toContainText(/error/i);
  await shot("design complete with a condition");

  await recordStates(page);
  await expect(page.getByTestId("deploy")).toBeEnabled();
  await page.getByTestId("deploy").click();
  await expect(node(page, application)).toHaveAttribute("data-state", "STARTED");
  await shot("deployed, application started");
  await expect(node(page, application)).toHaveAttribute("data-state", "FINISHED");
  await expect(node(page, ping)).toHaveAttribute("data-state", "FINISHED");
  await shot("application and ping finished");

  // The nodes went through their lifecycle in order (what the page showed, frame by frame).
  const seen = await recordedStates(page);
  for (const guid of [application, ping]) {
    const states = seen[String(guid)];
    expect(states, `states shown for #${guid}`).toContain("STARTED");
    expect(states.indexOf("STARTED")).toBeLessThan(states.indexOf("FINISHED"));
    expect(states).not.toContain("FAILED");
  }
  await expect(node(page, host)).toHaveAttribute("data-state", /READY|STARTED/);

  // The application's stdout in its trace pane; the ping's RTT chart and loss.
  await openDockTab(page, "traces");
  const appOut = page.locator(`[data-testid="trace-pane"][data-guid="${application}"][data-trace="stdout"]`);
  await expect(appOut).toContainText("hello");
  // The trace downloads as a text file.
  const download = page.waitForEvent("download");
  await appOut.getByTestId("trace-download").click();
  const saved = await (await download).path();
  expect(readFileSync(saved, "utf8")).toBe("hello\n");
  const pingOut = page.locator(`[data-testid="trace-pane"][data-guid="${ping}"][data-trace="stdout"]`);
  await expect(pingOut.getByTestId("rtt-chart")).toHaveAttribute("data-points", "3");
  await expect(pingOut.getByTestId("ping-loss")).toContainText("0% loss");
  await pingOut.scrollIntoViewIfNeeded();
  await shot("traces: hello and the RTT chart");

  // The progress bar counts the finished resources.
  await expect(page.getByTestId("count-FINISHED")).toHaveAttribute("data-count", "2");

  await openDockTab(page, "timeline");
  await expect(page.getByTestId("timeline-row")).toHaveCount(3);
  // The condition held: the ping started at least 1s after the application did.
  const startedAt = async (guid: number) =>
    Number(
      await page
        .locator(`[data-testid="timeline-row"][data-guid="${guid}"] .gantt-seg[data-state="STARTED"]`)
        .getAttribute("data-from"),
    );
  expect(await startedAt(ping)).toBeGreaterThanOrEqual((await startedAt(application)) + 1000);
  await shot("timeline");

  const runId = await page.getByTestId("run-status").getAttribute("data-run-id");
  expect(runId).toBeTruthy();
  await page.getByTestId("release").click();
  for (const guid of [host, application, ping]) await expect(node(page, guid)).toHaveAttribute("data-state", "RELEASED");
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "RELEASED");
  await shot("released");

  // A reload forgets the live view; the history brings the run back, read-only.
  await page.reload();
  await expect(page.getByTestId("palette-item").first()).toBeVisible();
  await openDockTab(page, "history");
  const item = page.locator(`[data-testid="run-history-item"][data-run-id="${runId}"]`);
  await expect(item).toBeVisible();
  await expect(item).toHaveAttribute("data-status", "RELEASED");
  await shot("history after reload");
  // The released run as one archive: what `nepi bundle` writes.
  const bundleDownload = page.waitForEvent("download");
  await item.getByTestId("bundle-run").click();
  const bundle = await bundleDownload;
  expect(bundle.suggestedFilename()).toBe(`${runId}.tar.gz`);
  const listed: string[] = [];
  await list({ file: await bundle.path(), onReadEntry: (e) => listed.push(e.path) });
  expect(listed).toEqual(
    expect.arrayContaining([`${runId}/manifest.json`, `${runId}/timeline.json`, `${runId}/experiment.json`]),
  );
  await item.getByTestId("open-run").click();
  await expect(page.getByTestId("history-banner")).toBeVisible();
  await expect(page.getByTestId("resource-node")).toHaveCount(3);
  for (const guid of [host, application, ping]) await expect(node(page, guid)).toHaveAttribute("data-state", "RELEASED");
  await expect(page.getByTestId("deploy")).toBeDisabled();
  await openDockTab(page, "traces");
  await expect(page.locator(`[data-testid="trace-pane"][data-guid="${application}"][data-trace="stdout"]`)).toContainText(
    "hello",
  );
  await expect(page.locator(`[data-testid="trace-pane"][data-guid="${ping}"] [data-testid="rtt-chart"]`)).toHaveAttribute(
    "data-points",
    "3",
  );
  await shot("past run reopened: states and traces");
  await openDockTab(page, "timeline");
  await expect(page.getByTestId("timeline-row")).toHaveCount(3);
  await shot("past run reopened: timeline");

  // Back to the design: editable again, no run shown.
  await page.getByTestId("close-run").click();
  await expect(page.getByTestId("history-banner")).toHaveCount(0);
  await expect(node(page, application)).toHaveAttribute("data-state", "NEW");
  await expect(page.getByTestId("deploy")).toBeEnabled();
  await shot("back to the design");
});
