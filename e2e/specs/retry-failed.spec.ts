import { test, expect } from "../fixtures.js";
import { DOCUMENT_FORMAT, importDocument, node, openDockTab, localHost, application } from "../helpers.js";

test("a non-critical command that fails: the run FINISHED_WITH_FAILURES in the history, Retry failed re-runs it", async ({
  app: page,
  shot,
}) => {
  await importDocument(page, {
    format: DOCUMENT_FORMAT,
    name: "flaky",
    resources: [
      localHost(1, "host", { x: 0, y: 0 }),
      {
        guid: 2,
        type: "linux::Application",
        label: "flaky",
        // Fails the first time it runs in its directory, succeeds the next.
        attributes: { command: "test -f marker || { touch marker; echo first try; exit 1; }; echo second try", critical: false },
        traces: ["stdout"],
        position: { x: 320, y: 0 },
      },
      application(3, "fine", "echo fine", [], { x: 320, y: 200 }),
    ],
    connections: [
      { source: 2, target: 1 },
      { source: 3, target: 1 },
    ],
    conditions: [],
  });
  await page.getByTestId("deploy").click();
  await expect(node(page, 2)).toHaveAttribute("data-state", "FAILED");
  await expect(node(page, 3)).toHaveAttribute("data-state", "FINISHED");
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "FINISHED_WITH_FAILURES");
  await openDockTab(page, "history");
  const item = page.getByTestId("run-history-item");
  await expect(item).toHaveAttribute("data-status", "FINISHED_WITH_FAILURES");
  await expect(item).toContainText("1 non-critical resource failed: guid 2 (exit code 1)");
  await shot("finished with failures");

  await page.getByTestId("retry-failed").click();
  await expect(node(page, 2)).toHaveAttribute("data-state", "FINISHED");
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "FINISHED");
  await expect(item).toHaveAttribute("data-status", "FINISHED");
  // The run was not redeployed: the application that went well ran once, and still shows FINISHED.
  await expect(node(page, 3)).toHaveAttribute("data-state", "FINISHED");
  await expect(page.getByTestId("retry-failed")).toHaveCount(0);
  await openDockTab(page, "traces");
  // The pane follows the new attempt's output from its start.
  const pane = page.locator('[data-testid="trace-pane"][data-guid="2"][data-trace="stdout"]');
  await expect(pane).toContainText("second try");
  await expect(pane.getByTestId("trace-attempt")).toHaveText(" · attempt 2");
  await expect(pane).not.toContainText("first try");
  await shot("retried");
  await page.getByTestId("release").click();
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "RELEASED");
});
