import type { Page } from "@playwright/test";
import { test, expect } from "../fixtures.js";
import { connect, dragFromPalette, node, nodesOfType, selectNode, setAttr } from "../helpers.js";

/** The edge of a link resource (its label group carries the link's guid). */
function linkEdge(page: Page, guid: number) {
  return page.locator(`[data-testid="link-edge"][data-guid="${guid}"]`);
}

async function linkGuids(page: Page): Promise<number[]> {
  return page.getByTestId("link-edge").evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-guid"))));
}

/** Clicks the line of a link's edge (xyflow's wide interaction path), as a user does. */
async function clickLink(page: Page, guid: number): Promise<void> {
  const box = await page.locator(`[data-testid="rf__edge-resource-${guid}"] .react-flow__edge-interaction`).boundingBox();
  if (!box) throw new Error(`the edge of link ${guid} is not drawn`);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

test("a network designed on the canvas: Insert topology, links drawn as edges, the inspector and the machine", async ({
  app: page,
  shot,
}) => {
  // Insert topology…: a line of 3 hosts, the middle one a router, 10 Mbit/s links.
  await page.getByTestId("insert-topology").click();
  const dialog = page.getByTestId("topology-dialog");
  await dialog.getByTestId("topology-kind").selectOption("line");
  await dialog.getByTestId("topology-hosts").fill("3");
  await dialog.getByTestId("topology-rate").fill("10mbit");
  await dialog.getByTestId("topology-delay").fill("20ms");
  await expect(dialog.getByTestId("topology-preview")).toHaveText("Adds 3 hosts, 2 links.");
  // A number that makes no topology is refused, naming the field.
  await dialog.getByTestId("topology-kind").selectOption("ring");
  await dialog.getByTestId("topology-hosts").fill("2");
  await expect(dialog.getByTestId("topology-preview")).toContainText("hosts: a ring needs a whole number of at least 3");
  await expect(dialog.getByTestId("topology-insert")).toBeDisabled();
  await dialog.getByTestId("topology-kind").selectOption("line");
  await dialog.getByTestId("topology-hosts").fill("3");
  await shot("insert topology dialog");
  await dialog.getByTestId("topology-insert").click();
  await expect(dialog).toBeHidden();

  // Three boxes; the links are the edges between them, their shaping written on them.
  await expect(page.getByTestId("resource-node")).toHaveCount(3);
  await expect(page.getByTestId("link-edge")).toHaveCount(2);
  await expect(page.getByTestId("link-shaping")).toHaveText(["10 Mbit/s · 20 ms", "10 Mbit/s · 20 ms"]);
  const [first, second] = await linkGuids(page);
  await shot("a line of three hosts");

  // Selecting a link's edge opens the link in the inspector; its attributes are edited there.
  await clickLink(page, first!);
  await expect(page.getByTestId("inspector")).toHaveAttribute("data-guid", String(first));
  await expect(page.getByTestId("resource-label")).toHaveValue("l1");
  await setAttr(page, "rate", "5mbit");
  await setAttr(page, "loss", "1");
  await expect(linkEdge(page, first!).getByTestId("link-shaping")).toHaveText("5 Mbit/s · 20 ms · 1 %");
  await expect(linkEdge(page, second!).getByTestId("link-shaping")).toHaveText("10 Mbit/s · 20 ms");
  await shot("a link in the inspector");

  // Drawing between the two end hosts makes a new link, opened in the inspector; one undo removes it.
  const hosts = await nodesOfType(page, "netns::Node").evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-guid"))));
  const [h1, , h2] = hosts;
  await connect(page, h1!, h2!);
  await expect(page.getByTestId("link-edge")).toHaveCount(3);
  const drawn = (await linkGuids(page)).find((g) => g !== first && g !== second)!;
  await expect(page.getByTestId("inspector")).toHaveAttribute("data-guid", String(drawn));
  await page.getByTestId("undo").click();
  await expect(page.getByTestId("link-edge")).toHaveCount(2);
  await expect(page.getByTestId("resource-node")).toHaveCount(3);

  // The machine: this machine by default; picking a Linux node of the design draws the connection.
  const machine = await dragFromPalette(page, "linux::Node", { x: 420, y: 420 });
  await selectNode(page, h1!);
  const picker = page.getByTestId("machine-picker");
  await expect(picker).toHaveValue("");
  await picker.selectOption(String(machine));
  await expect(page.locator(`[data-testid="rf__edge-link-${h1}-${machine}"]`)).toHaveCount(1);
  // A machine connection drawn by hand shows in the picker too.
  await connect(page, hosts[1]!, machine);
  await selectNode(page, hosts[1]!);
  await expect(picker).toHaveValue(String(machine));
  await picker.selectOption("");
  await expect(page.locator(`[data-testid="rf__edge-link-${hosts[1]}-${machine}"]`)).toHaveCount(0);
  await shot("a host built on a machine");

  // Deleting a link's edge deletes the link; deleting a host deletes its links.
  await clickLink(page, second!);
  await page.getByRole("button", { name: "Delete resource" }).click();
  await expect(page.getByTestId("link-edge")).toHaveCount(1);
  await selectNode(page, h1!);
  await page.getByRole("button", { name: "Delete resource" }).click();
  await expect(page.getByTestId("link-edge")).toHaveCount(0);
  await expect(node(page, h1!)).toHaveCount(0);
});
