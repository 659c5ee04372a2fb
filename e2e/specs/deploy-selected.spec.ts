import { test, expect } from "../fixtures.js";
import { DOCUMENT_FORMAT, importDocument, node, openDockTab, selectNode, localHost } from "../helpers.js";

test("Deploy selected runs only the selected part; Redeploy brings a node and its command back", async ({ app: page, shot }) => {
  await importDocument(page, {
    format: DOCUMENT_FORMAT,
    name: "two hosts",
    resources: [
      localHost(1, "used", { x: 0, y: 0 }),
      {
        guid: 2,
        type: "linux::Application",
        label: "sleeper",
        // Counts its runs in its directory on the host, which a redeploy keeps.
        attributes: {
          command:
            'n=$(( $(cat "$APP_HOME/count" 2>/dev/null || echo 0) + 1 )); echo $n > "$APP_HOME/count"; echo "instance $n"; exec sleep 300',
        },
        traces: ["stdout"],
        position: { x: 320, y: 0 },
      },
      localHost(3, "left out", { x: 0, y: 220 }),
    ],
    connections: [{ source: 2, target: 1 }],
    conditions: [],
  });
  await expect(page.getByTestId("deploy-selected")).toBeDisabled();
  // The application alone: the node it runs on comes with it, the other node stays NEW.
  await selectNode(page, 2);
  await expect(page.getByTestId("deploy-selected")).toHaveText("Deploy selected (1)");
  await page.getByTestId("deploy-selected").click();
  await expect(node(page, 2)).toHaveAttribute("data-state", "STARTED");
  await expect(node(page, 1)).toHaveAttribute("data-state", "STARTED");
  const pane = page.locator('[data-testid="trace-pane"][data-guid="2"][data-trace="stdout"]');
  await expect(pane).toContainText("instance 1");
  await expect(node(page, 3)).toHaveAttribute("data-state", "NEW");
  await shot("part deployed");

  // A node left out cannot be redeployed; the running one can.
  await selectNode(page, 3);
  await expect(page.getByTestId("redeploy")).toBeDisabled();
  await selectNode(page, 1);
  await expect(page.getByTestId("redeploy")).toBeEnabled();
  await page.getByTestId("redeploy").click();
  // Back through its lifecycle, in the timeline: the node and its command released, then up again.
  await openDockTab(page, "timeline");
  const segments = (guid: number) => page.locator(`[data-testid="timeline-row"][data-guid="${guid}"] .gantt-seg`);
  const again = [
    "DISCOVERED",
    "PROVISIONED",
    "READY",
    "STARTED",
    "RELEASED",
    "NEW",
    "DISCOVERED",
    "PROVISIONED",
    "READY",
    "STARTED",
  ];
  for (const guid of [1, 2]) {
    await expect(segments(guid).and(page.locator('[data-state="STARTED"]'))).toHaveCount(2);
    expect(await segments(guid).evaluateAll((els) => els.map((e) => e.getAttribute("data-state")))).toEqual(again);
  }
  await expect(page.locator('[data-testid="timeline-row"][data-guid="3"]')).toHaveCount(0);
  await expect(node(page, 2)).toHaveAttribute("data-state", "STARTED");
  await expect(node(page, 1)).toHaveAttribute("data-state", "STARTED");
  await expect(node(page, 3)).toHaveAttribute("data-state", "NEW");
  // Its trace pane starts again with the new run's output.
  await openDockTab(page, "traces");
  await expect(pane).toContainText("instance 2");
  await expect(pane).not.toContainText("instance 1");
  await shot("redeployed");

  await page.getByTestId("release").click();
  for (const guid of [1, 2]) await expect(node(page, guid)).toHaveAttribute("data-state", "RELEASED");
  await expect(node(page, 3)).toHaveAttribute("data-state", "NEW");
});
