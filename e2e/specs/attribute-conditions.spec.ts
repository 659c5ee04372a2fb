import { readFileSync } from "node:fs";
import { test, expect } from "../fixtures.js";
import { dragFromPalette, node, openDockTab, selectNode, setAttr } from "../helpers.js";

test("an attribute set during the run is added, checked, exported, undone, run and shown read-only", async ({
  app: page,
  shot,
}) => {
  const first = await dragFromPalette(page, "sim::Task", { x: 200, y: 180 });
  const second = await dragFromPalette(page, "sim::Task", { x: 520, y: 180 });
  await selectNode(page, second);
  const inspector = page.getByTestId("inspector");
  await expect(inspector).toHaveAttribute("data-guid", String(second));
  await expect(page.getByTestId("attr-cond")).toHaveCount(0);

  await page.getByTestId("attr-cond-add").click();
  const cond = page.getByTestId("attr-cond");
  await expect(cond).toHaveCount(1);
  await expect(page.getByTestId("attr-cond-attribute")).toHaveValue("duration");
  await expect(page.getByTestId("attr-cond-after")).toHaveValues([String(first)]);
  await expect(node(page, second).getByTestId("set-badge")).toBeVisible();

  // A value that is not a time string is refused where it is typed and listed in the problems.
  const value = page.getByTestId("attr-cond-value");
  await value.fill("soon");
  await expect(page.getByTestId("attr-cond-value-error")).toContainText("time string");
  await expect(page.getByTestId("problems")).toContainText('"soon"');
  await expect(page.getByTestId("deploy")).toBeDisabled();
  await shot("bad value listed as a problem");

  await value.fill("300ms");
  await page.getByTestId("attr-cond-after").selectOption([String(first)]);
  await page.getByTestId("attr-cond-state").selectOption("STARTED");
  // A delay is checked as typed too; cleared, there is none.
  const delay = page.getByTestId("attr-cond-delay");
  await delay.fill("half a second");
  await expect(page.getByTestId("attr-cond-delay-error")).toBeVisible();
  await delay.fill("");
  await expect(page.getByTestId("attr-cond-delay-error")).toHaveCount(0);
  await expect(page.getByTestId("problems")).not.toContainText('"soon"');
  await expect(page.getByTestId("attr-cond-sentence")).toHaveText(
    `set duration to 300ms once task${first} #${first} reaches STARTED`,
  );
  await expect(page.getByTestId("deploy")).toBeEnabled();
  await page.getByTestId("attr-cond-add").scrollIntoViewIfNeeded();
  await shot("attribute condition set");

  const download = page.waitForEvent("download");
  await page.getByTestId("export").click();
  const exported = JSON.parse(readFileSync((await (await download).path())!, "utf8"));
  expect(exported.attributeConditions).toEqual([
    { group: [second], attribute: "duration", value: "300ms", after: [first], state: "STARTED" },
  ]);

  // Removing is one step, and one undo brings it back as it was.
  await page.getByTestId("attr-cond-remove").click();
  await expect(cond).toHaveCount(0);
  await expect(node(page, second).getByTestId("set-badge")).toHaveCount(0);
  await page.getByTestId("undo").click();
  await expect(page.getByTestId("attr-cond-sentence")).toHaveText(
    `set duration to 300ms once task${first} #${first} reaches STARTED`,
  );

  // The task it waits for shows nothing of it: the condition belongs to the resource it sets.
  await selectNode(page, first);
  await expect(page.getByTestId("attr-cond")).toHaveCount(0);
  await selectNode(page, second);
  await expect(cond).toHaveCount(1);
  await page.getByTestId("attr-cond-add").scrollIntoViewIfNeeded();
  await shot("restored by undo");

  // Run it, then reopen the past run: the condition is shown, and nothing can be edited.
  await selectNode(page, first);
  await setAttr(page, "duration", "200ms");
  await page.getByTestId("deploy").click();
  await expect(node(page, first)).toHaveAttribute("data-state", "FINISHED");
  // With no duration of its own, the second would run until stopped: it ends only because the
  // condition set its duration to 300ms once the first STARTED.
  await expect(node(page, second)).toHaveAttribute("data-state", "FINISHED");
  const runId = await page.getByTestId("run-status").getAttribute("data-run-id");
  await page.getByTestId("release").click();
  for (const guid of [first, second]) await expect(node(page, guid)).toHaveAttribute("data-state", "RELEASED");
  await openDockTab(page, "history");
  await page.locator(`[data-testid="run-history-item"][data-run-id="${runId}"]`).getByTestId("open-run").click();
  await expect(page.getByTestId("history-banner")).toBeVisible();
  await selectNode(page, second);
  await expect(page.getByTestId("attr-cond-sentence")).toHaveText(
    `set duration to 300ms once task${first} #${first} reaches STARTED`,
  );
  for (const id of ["attr-cond-value", "attr-cond-attribute", "attr-cond-after", "attr-cond-remove", "attr-cond-add"]) {
    await expect(page.getByTestId(id), `${id} in a past run`).toHaveCount(0);
  }
  await page.getByTestId("attr-cond").scrollIntoViewIfNeeded();
  await shot("past run read-only");
});
