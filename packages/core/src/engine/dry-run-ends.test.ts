import { describe, expect, it } from "vitest";
import { DOCUMENT_FORMAT, type ExperimentDocument } from "../model/document.js";
import { toDryRun } from "./dry-run.js";

describe("toDryRun", () => {
  it("gives a duration to exactly what ends by itself (by the catalog's endsByItself)", () => {
    const doc: ExperimentDocument = {
      format: DOCUMENT_FORMAT,
      name: "mixed",
      resources: [
        { guid: 1, type: "linux::Node", attributes: {}, traces: [] },
        { guid: 2, type: "linux::Application", attributes: { command: "true" }, traces: [] },
        { guid: 3, type: "linux::Tcpdump", attributes: {}, traces: [] },
        { guid: 4, type: "sim::Task", attributes: {}, traces: [] },
        { guid: 5, type: "sim::Task", attributes: { duration: "1s" }, traces: [] },
      ],
      connections: [
        { source: 2, target: 1 },
        { source: 3, target: 1 },
      ],
      conditions: [],
    };
    const timed = toDryRun(doc, { taskDuration: "5ms" }).resources.filter((r) => r.attributes.duration !== undefined);
    // A node, a capture and a task with no duration run until stopped, in the dry run too.
    expect(timed.map((r) => r.guid)).toEqual([2, 5]);
  });
});
