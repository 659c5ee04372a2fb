import { test, expect } from "../fixtures.js";
import { connect, dragFromPalette, drawCondition, node, openDockTab, selectNode, setAttr } from "../helpers.js";

/**
 * Readiness you can express: a client that starts when the server prints "ready", drawn and
 * edited on the canvas, deployed on this machine.
 */
test("a condition on what the server prints is drawn, edited, labelled and starts the client on the match", async ({
  app: page,
  shot,
}) => {
  const host = await dragFromPalette(page, "linux::Node", { x: 150, y: 250 });
  await selectNode(page, host);
  await setAttr(page, "hostname", "localhost");
  const server = await dragFromPalette(page, "linux::Application", { x: 440, y: 100 });
  await selectNode(page, server);
  await setAttr(page, "command", "sleep 1; echo ready; sleep 30");
  await connect(page, server, host);
  const client = await dragFromPalette(page, "linux::Application", { x: 440, y: 400 });
  await selectNode(page, client);
  await setAttr(page, "command", "echo client");
  await connect(page, client, host);
  await expect(page.locator(".react-flow__edge")).toHaveCount(2);

  await drawCondition(page, server, client);
  const label = page.getByTestId("condition-label");
  await expect(label).toHaveText("START after STARTED");
  await label.click();
  await page.getByTestId("cond-wait").selectOption("trace");
  await expect(page.getByTestId("cond-trace")).toHaveValue("stdout");
  // No pattern yet: refused where it is typed and listed in the problems.
  await expect(page.getByTestId("condition-inspector").getByRole("alert")).toContainText("expected a regular expression");
  await expect(page.getByTestId("deploy")).toBeDisabled();
  await page.getByTestId("cond-matches").fill("(ready");
  await expect(page.getByTestId("problems")).toContainText("not a regular expression");
  await page.getByTestId("cond-matches").fill("^ready$");
  await page.getByTestId("cond-timeout").fill("20s");
  await page.getByTestId("cond-timeout").press("Tab");
  await expect(label).toHaveText("START after stdout ~ /^ready$/");
  await expect(page.getByTestId("condition-inspector")).toContainText("printed a line of stdout matching /^ready$/");
  await expect(page.getByTestId("deploy")).toBeEnabled();
  await shot("trace-match condition edited");

  await page.getByTestId("deploy").click();
  await expect(node(page, server)).toHaveAttribute("data-state", "STARTED");
  await expect(node(page, client)).toHaveAttribute("data-state", "FINISHED", { timeout: 30_000 });
  // The server sleeps 30 s after printing: the client did not wait for its end.
  await expect(node(page, server)).toHaveAttribute("data-state", "STARTED");
  await shot("client finished, server still running");

  await openDockTab(page, "timeline");
  const startedAt = async (guid: number) =>
    Number(
      await page
        .locator(`[data-testid="timeline-row"][data-guid="${guid}"] .gantt-seg[data-state="STARTED"]`)
        .getAttribute("data-from"),
    );
  const gap = (await startedAt(client)) - (await startedAt(server));
  expect(gap).toBeGreaterThanOrEqual(1000);
  expect(gap).toBeLessThan(15_000);
  await shot("timeline: the client started on the match");

  await page.getByTestId("release").click();
  await expect(node(page, server)).toHaveAttribute("data-state", "RELEASED");
});
