import { test, expect } from "../fixtures.js";
import { connect, dragFromPalette, node, selectNode, setAttr } from "../helpers.js";

test("an invalid connection is refused with a visible reason", async ({ app: page, shot }) => {
  const a = await dragFromPalette(page, "linux::Application", { x: 200, y: 150 });
  const b = await dragFromPalette(page, "linux::Application", { x: 600, y: 150 });
  await shot("two applications");
  await connect(page, a, b);
  // No edge: an application connects to exactly one node, never to another application.
  await expect(page.locator(".react-flow__edge")).toHaveCount(0);
  await expect(page.getByText(/Connection refused/)).toBeVisible();
  await shot("connection refused");

  const host = await dragFromPalette(page, "linux::Node", { x: 400, y: 400 });
  await connect(page, a, host);
  await expect(page.locator(".react-flow__edge")).toHaveCount(1);
  // A second node for the same application is refused too.
  const other = await dragFromPalette(page, "linux::Node", { x: 750, y: 400 });
  await connect(page, a, other);
  await expect(page.locator(".react-flow__edge")).toHaveCount(1);
  await shot("second node refused");
});

test("a problem blocks Deploy until it is fixed", async ({ app: page, shot }) => {
  const app = await dragFromPalette(page, "linux::Application", { x: 300, y: 150 });
  const problems = page.getByTestId("problems");
  // No command, no node: two problems; Deploy says why it is disabled.
  await expect(problems).toContainText("command");
  await expect(page.getByTestId("deploy")).toBeDisabled();
  await expect(page.getByTestId("deploy-blocker")).toContainText("problem");
  await shot("problems listed, deploy disabled");

  await selectNode(page, app);
  await setAttr(page, "command", "true");
  await expect(problems).not.toContainText("command");
  await expect(page.getByTestId("deploy")).toBeDisabled();
  const host = await dragFromPalette(page, "linux::Node", { x: 300, y: 420 });
  await connect(page, app, host);
  await expect(page.getByTestId("deploy")).toBeEnabled();
  await expect(page.getByTestId("deploy-blocker")).toHaveCount(0);
  await expect(node(page, app)).toHaveAttribute("data-state", "NEW");
  await shot("problems fixed, deploy enabled");
});

test("undo and redo, with the buttons and the keyboard", async ({ app: page, shot }) => {
  const host = await dragFromPalette(page, "linux::Node", { x: 180, y: 150 });
  const app = await dragFromPalette(page, "linux::Application", { x: 480, y: 330 });
  await shot("two nodes");
  await connect(page, app, host);
  await expect(page.locator(".react-flow__edge")).toHaveCount(1);
  await shot("before undo");

  await page.getByTestId("undo").click();
  await expect(page.locator(".react-flow__edge")).toHaveCount(0);
  await page.getByTestId("undo").click();
  await expect(page.getByTestId("resource-node")).toHaveCount(1);
  await shot("after two undos");

  await page.getByTestId("redo").click();
  await expect(page.getByTestId("resource-node")).toHaveCount(2);
  await page.getByTestId("redo").click();
  await expect(page.locator(".react-flow__edge")).toHaveCount(1);
  await shot("after two redos");

  // Keyboard: Ctrl+Z / Ctrl+Shift+Z on the canvas.
  await page.getByTestId("canvas").click({ position: { x: 40, y: 40 } });
  await page.keyboard.press("Control+z");
  await expect(page.locator(".react-flow__edge")).toHaveCount(0);
  await page.keyboard.press("Control+Shift+z");
  await expect(page.locator(".react-flow__edge")).toHaveCount(1);
  await expect(node(page, host)).toBeVisible();

  // An attribute edit is one undo step.
  await selectNode(page, app);
  await setAttr(page, "command", "echo one");
  await page.getByTestId("undo").click();
  await expect(page.getByTestId("attr-command")).toHaveValue("");
  await page.getByTestId("redo").click();
  await expect(page.getByTestId("attr-command")).toHaveValue("echo one");
  await shot("attribute edit undone and redone");
});
