import { describe, expect, it } from "vitest";
import { criticalPath, ExperimentDocumentSchema, type StateEvent } from "@nepi/core";
import { criticalMarks, formatCost } from "./critical-overlay";

describe("the critical path on the timeline", () => {
  it("marks each link on its resource's row, a wait on the waiting one's, with text and cost", () => {
    const doc = ExperimentDocumentSchema.parse({
      format: "nepi-experiment@1",
      name: "t",
      resources: [
        { guid: 1, type: "sim::Task", attributes: { duration: "1s" } },
        { guid: 2, type: "sim::Task", attributes: { duration: "2s" } },
      ],
      conditions: [{ group: [2], action: "START", after: [1], state: "FINISHED", delay: "500ms" }],
    });
    const ev = (guid: number, state: StateEvent["state"], at: number): StateEvent => ({ guid, state, previous: "NEW", at });
    const timeline = [
      ev(1, "DISCOVERED", 0),
      ev(1, "PROVISIONED", 0),
      ev(1, "READY", 0),
      ev(2, "DISCOVERED", 0),
      ev(2, "PROVISIONED", 0),
      ev(2, "READY", 0),
      ev(1, "STARTED", 0),
      ev(1, "FINISHED", 1000),
      ev(2, "STARTED", 1500),
      ev(2, "FINISHED", 3500),
    ];
    const marks = criticalMarks(criticalPath(timeline, doc, { startedAt: 0 }), 0, 4000);
    expect([...marks.keys()]).toEqual([1, 2]);
    expect(marks.get(1)!.map((m) => [m.kind, m.left, m.width, m.title])).toEqual([
      ["action", 0, 0.6, "guid 1 deploy — 0ms"],
      ["action", 0, 0.6, "guid 1 start — 0ms"],
      ["action", 0, 25, "guid 1 ran — 1s"],
    ]);
    expect(marks.get(2)!.map((m) => [m.kind, m.left, m.width, m.title])).toEqual([
      ["wait", 25, 12.5, "START guid 2 after guid 1 FINISHED + 500ms — 500ms"],
      ["action", 37.5, 0.6, "guid 2 start — 0ms"],
      ["action", 37.5, 50, "guid 2 ran — 2s"],
    ]);
  });

  it("writes costs as a person reads them", () => {
    expect(formatCost(0)).toBe("0ms");
    expect(formatCost(250.4)).toBe("250ms");
    expect(formatCost(1500)).toBe("1.5s");
    expect(formatCost(12_345)).toBe("12.35s");
  });
});
