import { test, expect } from "../fixtures.js";
import { DOCUMENT_FORMAT, application, importDocument, localHost, node, openDockTab, selectNode, setAttr } from "../helpers.js";

test("Compare in the run history shows the attribute changed between two runs and each state's time", async ({
  app: page,
  shot,
}) => {
  await importDocument(page, {
    format: DOCUMENT_FORMAT,
    name: "compare",
    resources: [localHost(1, "host", { x: 0, y: 0 }), application(2, "greeter", "echo one", ["stdout"], { x: 320, y: 0 })],
    connections: [{ source: 2, target: 1 }],
    conditions: [],
  });
  const runOnce = async () => {
    await page.getByTestId("deploy").click();
    await expect(node(page, 2)).toHaveAttribute("data-state", "FINISHED");
    await page.getByTestId("release").click();
    await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "RELEASED");
  };
  await runOnce();
  await selectNode(page, 2);
  await setAttr(page, "command", "echo two");
  await runOnce();

  await openDockTab(page, "history");
  const items = page.getByTestId("run-history-item");
  await expect(items).toHaveCount(2);
  // Newest first: pick the first run, then compare it with the second.
  await items.nth(1).getByTestId("compare-run").click();
  await expect(items.nth(1).getByTestId("compare-run")).toHaveText("Compare with…");
  await items.nth(0).getByTestId("compare-run").click();
  const panel = page.getByTestId("run-compare");
  await expect(panel).toHaveAttribute("data-same", "false");
  await expect(panel.getByTestId("compare-attribute")).toHaveText(['greeter (guid 2) command: "echo one" → "echo two"']);
  await expect(panel.getByTestId("compare-fact")).toHaveCount(0);
  await expect(panel.getByTestId("compare-timing").filter({ hasText: "FINISHED" })).toHaveCount(1);
  await shot("two runs compared");
});
