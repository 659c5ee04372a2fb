import { execFileSync } from "node:child_process";
import type { Page } from "@playwright/test";
import { networkTag } from "@nepi/core/node";
import { test, expect } from "../fixtures.js";
import { connect, dragFromPalette, drawCondition, node, nodesOfType, selectNode, setAttr } from "../helpers.js";

/** The edge of a link resource (its label group carries the link's guid). */
function linkEdge(page: Page, guid: number) {
  return page.locator(`[data-testid="link-edge"][data-guid="${guid}"]`);
}

async function linkGuids(page: Page): Promise<number[]> {
  return page.getByTestId("link-edge").evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-guid"))));
}

/** Clicks the line of a link's edge (xyflow's wide interaction path), as a user does. */
async function clickLink(page: Page, guid: number): Promise<void> {
  // The canvas fits its view to an inserted topology with an animation: a point read before it
  // ends misses the edge. Wait until the viewport stands still for two frames.
  await page.waitForFunction(
    () =>
      new Promise<boolean>((resolve) => {
        const viewport = document.querySelector<HTMLElement>(".react-flow__viewport");
        const before = viewport?.style.transform;
        requestAnimationFrame(() => requestAnimationFrame(() => resolve(viewport?.style.transform === before)));
      }),
  );
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

test("h1 — r — h2 with a 10 Mbit/s link: ping across, iperf3 near 10 Mbit/s, the rate changed and a link cut during the run, released", async ({
  app: page,
  shot,
}) => {
  test.setTimeout(180_000);
  // The network from the template: a line of 3, the middle one forwarding.
  await page.getByTestId("insert-topology").click();
  const dialog = page.getByTestId("topology-dialog");
  await dialog.getByTestId("topology-kind").selectOption("line");
  await dialog.getByTestId("topology-hosts").fill("3");
  await dialog.getByTestId("topology-rate").fill("10mbit");
  await dialog.getByTestId("topology-insert").click();
  await expect(page.getByTestId("link-edge")).toHaveCount(2);
  const [h1, r1, h2] = await nodesOfType(page, "netns::Node").evaluateAll((els) =>
    els.map((e) => Number(e.getAttribute("data-guid"))),
  );
  await expect(node(page, r1!)).toContainText("r1");
  const [l1, l2] = await linkGuids(page);

  // The applications from the palette, dropped around the hosts (clear of the minimap): a ping
  // from h1 to h2's address; iperf3 from h1 to h2, once at the design's rate and once after it
  // changed.
  const canvas = (await page.getByTestId("canvas").boundingBox())!;
  // The view eases onto the inserted topology: measure once it stands still.
  const framesLater = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const at = async () => JSON.stringify(await node(page, h1!).boundingBox());
  await expect
    .poll(async () => {
      const a = await at();
      await framesLater();
      return a === (await at());
    })
    .toBe(true);
  const near = async (guid: number, dx: number, dy: number) => {
    const box = (await node(page, guid).boundingBox())!;
    return { x: box.x - canvas.x + box.width / 2 + dx, y: box.y - canvas.y + box.height / 2 + dy };
  };
  const ping = await dragFromPalette(page, "linux::Ping", await near(h1!, 0, -150));
  await connect(page, ping, h1!);
  await selectNode(page, ping);
  await setAttr(page, "target", "${ip:h2}");
  await setAttr(page, "count", "3");
  const iperf = async (label: string, client: { x: number; y: number }, server: { x: number; y: number }, port: string) => {
    const s = await dragFromPalette(page, "linux::Iperf3", server);
    await connect(page, s, h2!);
    await selectNode(page, s);
    await page.getByTestId("attr-role").selectOption("server");
    await setAttr(page, "port", port);
    const c = await dragFromPalette(page, "linux::Iperf3", client);
    await connect(page, c, h1!);
    await connect(page, c, s);
    await selectNode(page, c);
    await page.getByTestId("resource-label").fill(label);
    await setAttr(page, "port", port);
    await setAttr(page, "duration", "5s");
    return c;
  };
  const before = await iperf("before", await near(h1!, 0, 170), await near(r1!, 0, 170), "5301");
  const after = await iperf("after", await near(r1!, 0, -150), await near(h2!, 0, -150), "5302");
  // During the run, once the first measure is over, h1's link goes down to 5 Mbit/s.
  await clickLink(page, l1!);
  await page.getByTestId("attr-cond-add").click();
  await page.getByTestId("attr-cond-attribute").selectOption("rate");
  await page.getByTestId("attr-cond-value").fill("5mbit");
  await page.getByTestId("attr-cond-after").selectOption([String(before)]);
  await page.getByTestId("attr-cond-state").selectOption("FINISHED");
  await expect(linkEdge(page, l1!).getByTestId("link-changes")).toHaveCount(1);
  // And once the second one is over, the other link is cut.
  await clickLink(page, l2!);
  await page.getByTestId("attr-cond-add").click();
  await page.getByTestId("attr-cond-attribute").selectOption("up");
  await page.getByTestId("attr-cond-value").uncheck({ force: true });
  await page.getByTestId("attr-cond-after").selectOption([String(after)]);
  await page.getByTestId("attr-cond-state").selectOption("FINISHED");
  await expect(page.getByTestId("attr-cond-sentence")).toHaveText("set up to false once after #" + after + " reaches FINISHED");
  await expect(linkEdge(page, l2!).getByTestId("link-changes")).toHaveCount(1);
  // The second measure starts once the first one is over.
  await drawCondition(page, before, after);
  await page.getByTestId("cond-state").selectOption("FINISHED");
  await page.getByTestId("cond-delay").fill("2s");

  await expect(page.getByTestId("problems")).toContainText("No problems");
  await shot("h1 r h2 designed");

  await page.getByTestId("deploy").click();
  // The run's namespaces, named with its tag, exist while it runs.
  const tag = networkTag((await page.getByTestId("run-status").getAttribute("data-run-id"))!);
  const namespaces = () => execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
  // The ping crosses the router.
  await expect(node(page, ping)).toHaveAttribute("data-state", "FINISHED", { timeout: 60_000 });
  expect(namespaces()).toContain(`nepi-${tag}-h${h1}`);
  const pingPane = page.locator(`[data-testid="trace-pane"][data-guid="${ping}"][data-trace="stdout"]`);
  await expect(pingPane.getByTestId("ping-loss")).toContainText("3 received, 0% loss");
  // The link's edge shows its throughput: near 10 Mbit/s from h1, then near 5 once changed.
  const throughput = linkEdge(page, l1!).getByTestId("link-throughput");
  await expect(throughput).toHaveText(/^→ (8\.[5-9]\d*|9(\.\d+)?|10(\.\d+)?|11) Mbit\/s/, { timeout: 30_000 });
  await shot("iperf3 at 10 Mbit/s");
  await expect(throughput).toHaveText(/^→ (4(\.\d+)?|5(\.\d+)?|6) Mbit\/s/, { timeout: 30_000 });
  await shot("the rate changed during the run");
  await expect(node(page, after)).toHaveAttribute("data-state", "FINISHED", { timeout: 60_000 });
  // The cut link is drawn down (its counters say so), the other one is not.
  await expect(linkEdge(page, l2!)).toHaveAttribute("data-down", "true", { timeout: 20_000 });
  await expect(linkEdge(page, l2!).getByTestId("link-throughput")).toHaveText("down");
  await expect(page.locator(`[data-testid="rf__edge-resource-${l2}"] .edge-netlink`)).toHaveClass(/is-down/);
  await expect(linkEdge(page, l1!)).toHaveAttribute("data-down", "false");
  await shot("a link cut during the run");

  // The iperf3 charts: near 10 Mbit/s before the change, near 5 after it.
  const averageOf = async (guid: number) => {
    await page
      .locator(".trace-chip", { hasText: `#${guid} · stdout` })
      .locator("input")
      .check();
    const pane = page.locator(`[data-testid="trace-pane"][data-guid="${guid}"][data-trace="stdout"]`);
    await pane.scrollIntoViewIfNeeded();
    await expect(pane.getByTestId("throughput-chart")).toHaveAttribute("data-points", /^([4-9]|\d\d+)$/);
    await expect(pane.locator(".chart-summary")).toContainText("average");
    const summary = (await pane.locator(".chart-summary").textContent()) ?? "";
    return Number(/average ([\d.]+) Mbit\/s/.exec(summary)?.[1]);
  };
  const first = await averageOf(before);
  expect(first).toBeGreaterThan(8.5);
  expect(first).toBeLessThan(11);
  const second = await averageOf(after);
  expect(second).toBeGreaterThan(4.2);
  expect(second).toBeLessThan(5.5);
  await shot("iperf3 charts");

  await page.getByTestId("release").click();
  await expect(node(page, h1!)).toHaveAttribute("data-state", "RELEASED", { timeout: 30_000 });
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "RELEASED");
  // Nothing of the run is left in the kernel (its devices lived in its namespaces).
  expect(namespaces()).not.toContain(tag);
});
