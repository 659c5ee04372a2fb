import { test, expect } from "../fixtures.js";
import {
  DOCUMENT_FORMAT,
  importDocument,
  node,
  openDockTab,
  recordStates,
  recordedOrder,
  runsOnServer,
  uniqueName,
  localHost,
  application,
} from "../helpers.js";

test("a dry run plays the design's order of events with simulated tasks", async ({ app: page, shot }) => {
  const name = uniqueName("dry");
  await importDocument(page, {
    format: DOCUMENT_FORMAT,
    name,
    resources: [
      localHost(1, "host", { x: 0, y: 0 }),
      application(2, "app", "sleep 30", ["stdout"], { x: 320, y: -80 }),
      {
        guid: 3,
        type: "linux::Ping",
        label: "ping",
        attributes: { target: "127.0.0.1" },
        traces: ["stdout"],
        position: { x: 320, y: 120 },
      },
    ],
    connections: [
      { source: 2, target: 1 },
      { source: 3, target: 1 },
    ],
    conditions: [{ group: [3], action: "START", after: [2], state: "STARTED", delay: "600ms" }],
  });
  await expect(page.getByTestId("resource-node")).toHaveCount(3);
  await recordStates(page);
  await page.getByTestId("dry-run").click();
  await expect(page.getByTestId("run-status")).toContainText("dry run");
  await expect(node(page, 2)).toHaveAttribute("data-state", "FINISHED");
  await expect(node(page, 3)).toHaveAttribute("data-state", "FINISHED");
  // A node runs until released, in a dry run too.
  await expect(node(page, 1)).toHaveAttribute("data-state", "STARTED");
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "FINISHED");
  await shot("dry run finished");

  // The app (a 100ms simulated task) ended before the ping started 600ms after it.
  const order = await recordedOrder(page);
  expect(order.indexOf("2:STARTED")).toBeGreaterThanOrEqual(0);
  expect(order.indexOf("2:FINISHED")).toBeLessThan(order.indexOf("3:STARTED"));

  // The timeline has every transition: the node READY before the app deployed, the ping
  // STARTED at least 600ms after the app STARTED.
  await openDockTab(page, "timeline");
  await expect(page.getByTestId("timeline-row")).toHaveCount(3);
  const from = async (guid: number, state: string) =>
    Number(
      await page
        .locator(`[data-testid="timeline-row"][data-guid="${guid}"] .gantt-seg[data-state="${state}"]`)
        .getAttribute("data-from"),
    );
  expect(await from(1, "READY")).toBeLessThanOrEqual(await from(2, "DISCOVERED"));
  expect(await from(3, "STARTED")).toBeGreaterThanOrEqual((await from(2, "STARTED")) + 600);
  await shot("dry run timeline");

  await page.getByTestId("release").click();
  for (const guid of [1, 2, 3]) await expect(node(page, guid)).toHaveAttribute("data-state", "RELEASED");
  // Nothing ran on the host: the backend recorded no run of this design (the server is shared,
  // so runs of other specs may be there).
  expect((await runsOnServer(page)).filter((r) => r.experimentName === name)).toEqual([]);
  await openDockTab(page, "history");
  await shot("dry run released");
});
