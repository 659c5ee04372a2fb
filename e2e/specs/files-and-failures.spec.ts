import { readFileSync } from "node:fs";
import { test, expect } from "../fixtures.js";
import { DOCUMENT_FORMAT, importDocument, node, localHost, application } from "../helpers.js";

const design = {
  format: DOCUMENT_FORMAT,
  name: "round-trip",
  description: "exported and imported again",
  resources: [
    { guid: 1, type: "linux::Node", label: "host", attributes: { hostname: "localhost" }, traces: [], position: { x: 0, y: 0 } },
    {
      guid: 2,
      type: "linux::Application",
      label: "app",
      attributes: { command: "echo hello", critical: false },
      traces: ["stdout", "stderr"],
      position: { x: 320, y: 0 },
    },
    {
      guid: 3,
      type: "linux::Ping",
      label: "ping",
      attributes: { target: "127.0.0.1", count: 2 },
      traces: ["stdout"],
      position: { x: 320, y: 200 },
    },
  ],
  connections: [
    { source: 2, target: 1 },
    { source: 3, target: 1 },
  ],
  conditions: [{ group: [3], action: "START", after: [2], state: "STARTED", delay: "2s" }],
};

test("export then import gives the same design", async ({ app: page, shot }) => {
  await importDocument(page, design, "round-trip.json");
  await expect(page.getByTestId("resource-node")).toHaveCount(3);
  await expect(page.getByTestId("condition-label")).toHaveText("START after STARTED + 2s");
  await shot("imported");

  const exportOnce = async () => {
    const download = page.waitForEvent("download");
    await page.getByTestId("export").click();
    const file = await (await download).path();
    return JSON.parse(readFileSync(file, "utf8"));
  };
  const first = await exportOnce();
  expect(first.format).toBe(DOCUMENT_FORMAT);
  expect(first.resources).toHaveLength(3);
  expect(first.conditions).toEqual(design.conditions);

  // Start from an empty canvas, import what was exported, export again: identical.
  await importDocument(page, { format: DOCUMENT_FORMAT, name: "empty", resources: [] }, "empty.json");
  await expect(page.getByTestId("resource-node")).toHaveCount(0);
  await importDocument(page, first, "exported.json");
  await expect(page.getByTestId("resource-node")).toHaveCount(3);
  await shot("re-imported");
  const second = await exportOnce();
  expect(second).toEqual(first);
  // And it is the design that was built, not just a stable format.
  const strip = (d: typeof design) => ({ ...d, resources: d.resources.map((r) => ({ ...r })) });
  expect(
    strip(second).resources.map((r: { guid: number; type: string; attributes: unknown }) => [r.guid, r.type, r.attributes]),
  ).toEqual(design.resources.map((r) => [r.guid, r.type, r.attributes]));
  expect(second.connections).toEqual(design.connections);
});

test("a failing command turns its node FAILED with the reason", async ({ app: page, shot }) => {
  await importDocument(page, {
    format: DOCUMENT_FORMAT,
    name: "failing",
    resources: [
      localHost(1, "host", { x: 0, y: 0 }),
      application(2, "broken", "echo about to fail >&2; exit 3", ["stdout", "stderr"], { x: 320, y: 0 }),
    ],
    connections: [{ source: 2, target: 1 }],
    conditions: [],
  });
  await expect(page.getByTestId("resource-node")).toHaveCount(2);
  await expect(page.getByTestId("deploy")).toBeEnabled();
  await page.getByTestId("deploy").click();
  await expect(node(page, 2)).toHaveAttribute("data-state", "FAILED");
  const reason = node(page, 2).getByTestId("failure-reason");
  await expect(reason).toContainText("3");
  // The same reason is in the problems list, and the stderr trace shows what the command said.
  await expect(page.getByTestId("problems")).toContainText(await reason.innerText());
  await expect(page.locator('[data-testid="trace-pane"][data-guid="2"][data-trace="stderr"]')).toContainText("about to fail");
  await expect(page.getByTestId("count-FAILED")).toHaveAttribute("data-count", "1");
  // A critical failure fails the run, which says why.
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "FAILED");
  await expect(page.getByTestId("run-failure")).toContainText("exit code 3");
  await shot("failed node with its reason");
});

test("a trace the release could not collect is shown in the run panel", async ({ app: page, shot }) => {
  await importDocument(page, {
    format: DOCUMENT_FORMAT,
    name: "missing-trace",
    resources: [
      localHost(1, "host", { x: 0, y: 0 }),
      // It finishes, but its "out" trace is a directory: copying it fails.
      application(2, "writer", "mkdir out; echo done", ["stdout", "out"], { x: 320, y: 0 }),
    ],
    connections: [{ source: 2, target: 1 }],
    conditions: [],
  });
  await page.getByTestId("deploy").click();
  await expect(node(page, 2)).toHaveAttribute("data-state", "FINISHED");
  await expect(page.getByTestId("run-missing-traces")).toHaveCount(0);
  await page.getByTestId("release").click();
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "RELEASED");
  await expect(page.getByTestId("run-missing-traces")).toContainText(
    "A trace could not be collected: writer out (copying it from local failed",
  );
  await shot("missing trace");
});
