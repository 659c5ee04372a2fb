import { test, expect } from "../fixtures.js";
import { DOCUMENT_FORMAT, importDocument, node, openDockTab } from "../helpers.js";
import { subscribeFromNode } from "../node-subscriber.js";

test("the live view resumes after a dropped connection, with no gap and no duplicate", async ({ page, baseURL, shot }) => {
  // A hand on the page's WebSockets: drop them, and refuse new ones while "offline".
  await page.addInitScript(() => {
    const w = window as unknown as { __sockets: WebSocket[]; __offline: boolean };
    w.__sockets = [];
    w.__offline = false;
    const NativeWebSocket = window.WebSocket;
    window.WebSocket = class extends NativeWebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        w.__sockets.push(this);
        if (w.__offline) this.addEventListener("open", () => this.close());
      }
    };
  });
  await page.goto("/");
  await expect(page.getByTestId("palette-item").first()).toBeVisible();
  const tasks = [1, 2, 3, 4];
  await importDocument(page, {
    format: DOCUMENT_FORMAT,
    name: "resume",
    resources: tasks.map((guid) => ({
      guid,
      type: "sim::Task",
      label: `task${guid}`,
      attributes: { duration: `${guid * 500}ms` },
      traces: [],
      position: { x: guid * 240, y: 0 },
    })),
    connections: [],
    conditions: [],
  });
  await page.getByTestId("deploy").click();
  await expect(node(page, 1)).toHaveAttribute("data-state", "STARTED");
  const runId = await page.getByTestId("run-status").getAttribute("data-run-id");
  const server = await subscribeFromNode(baseURL!, runId!);

  // Offline while tasks 1 and 2 finish: the page cannot see those transitions as they happen.
  await page.evaluate(() => {
    const w = window as unknown as { __sockets: WebSocket[]; __offline: boolean };
    w.__offline = true;
    for (const s of w.__sockets) s.close();
  });
  await server.waitFor((t) => t.guid === 2 && t.state === "FINISHED");
  await expect(node(page, 1)).toHaveAttribute("data-state", "STARTED");
  await shot("offline: the page still shows task 1 started");

  // Back online: the client reconnects and resumes after the last event it had.
  await page.evaluate(() => {
    (window as unknown as { __offline: boolean }).__offline = false;
  });
  for (const guid of tasks) await expect(node(page, guid)).toHaveAttribute("data-state", "FINISHED");
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "FINISHED");
  server.close();

  // Every transition exactly once in the timeline, the missed ones included.
  await openDockTab(page, "timeline");
  for (const guid of tasks) {
    const states = await page
      .locator(`[data-testid="timeline-row"][data-guid="${guid}"] .gantt-seg`)
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-state")));
    expect(states, `timeline of task ${guid}`).toEqual(["DISCOVERED", "PROVISIONED", "READY", "STARTED", "FINISHED"]);
  }
  await shot("resumed: every transition once");
  await page.getByTestId("release").click();
  for (const guid of tasks) await expect(node(page, guid)).toHaveAttribute("data-state", "RELEASED");
});
