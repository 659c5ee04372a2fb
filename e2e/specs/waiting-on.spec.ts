import { test, expect } from "../fixtures.js";
import {
  DOCUMENT_FORMAT,
  importDocument,
  node,
  openDockTab,
  selectNode,
  uniqueName,
  localHost,
  application,
} from "../helpers.js";

test("a run explains itself: the armed condition counts down, the waiting node says why, the timeline shows the critical path", async ({
  app: page,
  shot,
}) => {
  await importDocument(page, {
    format: DOCUMENT_FORMAT,
    name: uniqueName("waiting"),
    resources: [
      localHost(1, "host", { x: 0, y: 200 }),
      application(2, "server", "sleep 1", [], { x: 0, y: 0 }),
      application(3, "client", "sleep 1", [], { x: 420, y: 0 }),
    ],
    connections: [
      { source: 2, target: 1 },
      { source: 3, target: 1 },
    ],
    conditions: [{ group: [3], action: "START", after: [2], state: "STARTED", delay: "3s" }],
  });
  const label = page.getByTestId("condition-label");
  await expect(label).toHaveText("START after STARTED + 3s");
  await page.getByTestId("deploy").click();

  // While the delay runs: a countdown on the edge, and the client says what it waits for.
  await expect(label).toHaveAttribute("data-gate", "armed");
  await expect(label).toHaveText(/^START in [0-3]\.\d s$/);
  const first = await label.textContent();
  await expect(label).not.toHaveText(first!);
  await expect(node(page, 3)).toHaveAttribute("data-state", "READY");
  await expect(node(page, 3)).toHaveAttribute(
    "title",
    /^client waits: START after guid 2 STARTED \+ 3s: its delay ends at \d\d:\d\d:\d\d$/,
  );
  await selectNode(page, 3);
  await expect(page.getByTestId("waiting-on")).toContainText("START after guid 2 STARTED + 3s");
  await expect(page.getByTestId("waiting-countdown")).toHaveText(/^START in [0-3]\.\d s$/);
  await shot("countdown on the edge, the waiting client explained");

  // It fires: the edge lights up, the client runs, and nothing is waited for any more.
  await expect(label).toHaveAttribute("data-gate", "opened");
  await expect(label).toHaveText("START after STARTED + 3s");
  await expect(node(page, 3)).toHaveAttribute("data-state", "FINISHED");
  await expect(page.getByTestId("waiting-on")).toHaveCount(0);
  await shot("fired");

  // After the run, the chain that decided when it ended: the server's start, the 3 s wait, the client's run.
  await expect(page.getByTestId("run-status")).toContainText(/FINISHED/);
  await openDockTab(page, "timeline");
  await page.getByTestId("show-critical-path").check();
  const path = page.getByTestId("critical-path");
  await expect(path).toContainText("START guid 3 after guid 2 STARTED + 3s");
  await expect(path.locator("li").last()).toContainText("guid 3 ran");
  await expect(page.locator('[data-testid="timeline-row"][data-guid="3"] [data-testid="critical-mark"]').first()).toBeVisible();
  await shot("critical path on the timeline");
});
