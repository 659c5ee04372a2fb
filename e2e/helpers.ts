import { expect, type Locator, type Page } from "@playwright/test";
import type { RunSummary } from "@nepi/core";

export const DOCUMENT_FORMAT = "nepi-experiment@1";

type Position = { x: number; y: number };

/** A `linux::Node` on this machine (no SSH), as a resource of an imported design. */
export function localHost(guid: number, label: string, position: Position) {
  return { guid, type: "linux::Node", label, attributes: { hostname: "localhost" }, traces: [], position };
}

/** A `linux::Application` running `command`, as a resource of an imported design. */
export function application(guid: number, label: string, command: string, traces: string[], position: Position) {
  return { guid, type: "linux::Application", label, attributes: { command }, traces, position };
}

export function node(page: Page, guid: number): Locator {
  return page.locator(`[data-testid="resource-node"][data-guid="${guid}"]`);
}

export function nodesOfType(page: Page, rtype: string): Locator {
  return page.locator(`[data-testid="resource-node"][data-rtype="${rtype}"]`);
}

/** Drags a type from the palette and drops it at (x, y) of the canvas; returns the new guid. */
export async function dragFromPalette(page: Page, rtype: string, at: { x: number; y: number }): Promise<number> {
  const before = await page
    .getByTestId("resource-node")
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-guid"))));
  const item = page.locator(`[data-testid="palette-item"][data-rtype="${rtype}"]`);
  await item.scrollIntoViewIfNeeded();
  await item.dragTo(page.getByTestId("canvas"), { targetPosition: at });
  await expect(page.getByTestId("resource-node"), `a ${rtype} node appears on the canvas`).toHaveCount(before.length + 1);
  const after = await nodesOfType(page, rtype).evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-guid"))));
  const guid = after.find((g) => !before.includes(g));
  if (guid === undefined) throw new Error(`no new ${rtype} node after the drop`);
  return guid;
}

/** Draws from one node's handle to another node's handle with the mouse, as a user does. */
export async function drawEdge(page: Page, from: number, fromHandle: string, to: number, toHandle: string): Promise<void> {
  const a = node(page, from).locator(`.react-flow__handle[data-handleid="${fromHandle}"]`);
  const b = node(page, to).locator(`.react-flow__handle[data-handleid="${toHandle}"]`);
  const ba = await a.boundingBox();
  const bb = await b.boundingBox();
  if (!ba || !bb) throw new Error(`handles ${from}/${fromHandle} → ${to}/${toHandle} are not visible`);
  await page.mouse.move(ba.x + ba.width / 2, ba.y + ba.height / 2);
  await page.mouse.down();
  await page.mouse.move((ba.x + bb.x) / 2, (ba.y + bb.y) / 2, { steps: 5 });
  await page.mouse.move(bb.x + bb.width / 2, bb.y + bb.height / 2, { steps: 8 });
  await page.mouse.up();
}

/** Connects a resource to another (side handles): an application to its node. */
export function connect(page: Page, from: number, to: number): Promise<void> {
  return drawEdge(page, from, "link-out", to, "link-in");
}

/** Draws a condition: `waiting` waits on `after` (bottom handle of `after` → top of `waiting`). */
export function drawCondition(page: Page, after: number, waiting: number): Promise<void> {
  return drawEdge(page, after, "cond-out", waiting, "cond-in");
}

/** Selects a node by clicking its label. */
export async function selectNode(page: Page, guid: number): Promise<void> {
  await node(page, guid).locator(".rn-label").click();
}

/** Types a value into the inspector's `attr-<name>` input. */
export async function setAttr(page: Page, name: string, value: string): Promise<void> {
  const input = page.getByTestId(`attr-${name}`);
  await input.fill(value);
  await input.press("Tab");
}

/** Opens a document through the import input, as a user picking a JSON file. */
export async function importDocument(page: Page, doc: unknown, fileName = "design.json"): Promise<void> {
  await page.getByTestId("import-file").setInputFiles({
    name: fileName,
    mimeType: "application/json",
    buffer: Buffer.from(JSON.stringify(doc, null, 2)),
  });
}

/** Records every data-state a resource node takes, in the page, from now on. */
export async function recordStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __states?: Record<string, string[]>; __order?: string[] };
    w.__states = {};
    w.__order = [];
    const seen = w.__states;
    const order = w.__order;
    const note = (el: Element) => {
      const guid = el.getAttribute("data-guid");
      const state = el.getAttribute("data-state");
      if (!guid || !state) return;
      const list = (seen[guid] ??= []);
      if (list[list.length - 1] !== state) {
        list.push(state);
        order.push(`${guid}:${state}`);
      }
    };
    document.querySelectorAll('[data-testid="resource-node"]').forEach(note);
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.type === "attributes" && r.target instanceof Element && r.target.matches('[data-testid="resource-node"]'))
          note(r.target);
        for (const n of r.addedNodes) if (n instanceof Element) n.querySelectorAll('[data-testid="resource-node"]').forEach(note);
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"] });
  });
}

export async function recordedStates(page: Page): Promise<Record<string, string[]>> {
  return page.evaluate(() => (window as unknown as { __states: Record<string, string[]> }).__states);
}

/** Every change recorded, across nodes, in the order the page showed them ("guid:STATE"). */
export async function recordedOrder(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __order: string[] }).__order);
}

/** Opens a tab of the bottom dock (traces, timeline, history, campaign). */
export async function openDockTab(page: Page, tab: "traces" | "timeline" | "history" | "campaign"): Promise<void> {
  await page.getByTestId(`dock-tab-${tab}`).click();
}

/**
 * A name no other spec uses: specs share one server, so a spec finds its own experiments and
 * runs by name instead of counting what the server holds.
 */
export function uniqueName(prefix: string): string {
  return `${prefix} ${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Every run the backend recorded (of every spec), read from its API as any script would. */
export async function runsOnServer(page: Page): Promise<RunSummary[]> {
  const res = await page.request.get("/trpc/runs.list");
  expect(res.ok(), `GET /trpc/runs.list answered ${res.status()}`).toBe(true);
  return ((await res.json()) as { result: { data: RunSummary[] } }).result.data;
}
