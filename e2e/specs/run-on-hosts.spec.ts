import { randomBytes } from "node:crypto";
import { test, expect } from "../fixtures.js";
import { DOCUMENT_FORMAT, importDocument, selectNode } from "../helpers.js";

test("Run on hosts: echo on localhost from the panel, each host's answer under its label", async ({ app: page, shot }) => {
  await expect(page.getByTestId("run-on-hosts"), "no host in an empty design").toBeDisabled();
  await importDocument(page, {
    format: DOCUMENT_FORMAT,
    name: "run-on-hosts",
    resources: [
      { guid: 1, type: "linux::Node", label: "here", attributes: { hostname: "localhost" }, position: { x: 0, y: 0 } },
      { guid: 2, type: "linux::Node", label: "there", attributes: { hostname: "localhost" }, position: { x: 260, y: 0 } },
    ],
  });
  await expect(page.getByTestId("doc-name")).toHaveText("run-on-hosts");
  // The selected host is the one ticked when the panel opens.
  await selectNode(page, 1);
  await page.getByTestId("run-on-hosts").click();
  const dialog = page.getByTestId("exec-dialog");
  await expect(dialog).toBeVisible();
  await expect(dialog.locator('[data-testid="exec-host"][data-guid="1"]')).toBeChecked();
  await expect(dialog.locator('[data-testid="exec-host"][data-guid="2"]')).not.toBeChecked();
  await expect(dialog.getByTestId("exec-run")).toBeDisabled();

  const word = `hi-${randomBytes(4).toString("hex")}`;
  await dialog.getByTestId("exec-command").fill(`echo ${word}`);
  await dialog.getByTestId("exec-run").click();
  const here = dialog.locator('[data-testid="exec-result"][data-label="here"]');
  await expect(here.getByTestId("exec-stdout")).toHaveText(`${word}\n`);
  await expect(here.getByTestId("exec-outcome")).toHaveText("exit 0");
  await expect(here).toHaveAttribute("data-ok", "true");
  await expect(dialog.getByTestId("exec-result")).toHaveCount(1);
  // The unsaved import was saved first: the backend ran the command with the saved design.
  await expect(page.locator(".dirty-dot")).toHaveCount(0);
  await shot("echo on localhost");

  // Both hosts, a failing command: its exit code and stderr under each label.
  await dialog.locator('[data-testid="exec-host"][data-guid="2"]').check();
  await dialog.getByTestId("exec-command").fill("echo nope >&2; exit 3");
  await dialog.getByTestId("exec-run").click();
  await expect(dialog.getByTestId("exec-summary")).toHaveText("0 of 2 hosts ok");
  for (const label of ["here", "there"]) {
    const r = dialog.locator(`[data-testid="exec-result"][data-label="${label}"]`);
    await expect(r.getByTestId("exec-outcome")).toHaveText("exit 3");
    await expect(r.getByTestId("exec-stderr")).toHaveText("nope\n");
  }
  await shot("a failing command on two hosts");
});
