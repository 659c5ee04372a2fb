import { test, expect } from "../fixtures.js";
import { DOCUMENT_FORMAT, importDocument, node, openDockTab, localHost, application } from "../helpers.js";

test("Stop ends a long command, Release frees everything", async ({ app: page, shot }) => {
  await importDocument(page, {
    format: DOCUMENT_FORMAT,
    name: "long",
    resources: [
      localHost(1, "host", { x: 0, y: 0 }),
      application(2, "sleeper", "echo started; sleep 300", ["stdout"], { x: 320, y: 0 }),
    ],
    connections: [{ source: 2, target: 1 }],
    conditions: [],
  });
  await expect(page.getByTestId("stop")).toBeDisabled();
  await page.getByTestId("deploy").click();
  await expect(node(page, 2)).toHaveAttribute("data-state", "STARTED");
  await expect(page.locator('[data-testid="trace-pane"][data-guid="2"][data-trace="stdout"]')).toContainText("started");
  // While it runs, a second deploy is refused (the button says why).
  await expect(page.getByTestId("deploy")).toBeDisabled();
  await shot("running");

  await page.getByTestId("stop").click();
  await expect(node(page, 2)).toHaveAttribute("data-state", "STOPPED");
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "STOPPED");
  await expect(page.getByTestId("stop")).toBeDisabled();
  await shot("stopped");

  await page.getByTestId("release").click();
  for (const guid of [1, 2]) await expect(node(page, guid)).toHaveAttribute("data-state", "RELEASED");
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "RELEASED");
  await expect(page.getByTestId("deploy")).toBeEnabled();
  await openDockTab(page, "history");
  await expect(page.getByTestId("run-history-item")).toHaveCount(1);
  await expect(page.getByTestId("run-history-item")).toHaveAttribute("data-status", "RELEASED");
  await shot("released");
});
