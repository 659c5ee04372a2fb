import { beforeEach, describe, expect, it } from "vitest";
import type { ExperimentDocument } from "@nepi/core";
import { createDesignerStore, type DesignStore } from "./store";
import { conditionLabel, type ConditionEdgeData } from "./model";

/** A server that prints "listening on" and a client started on that line. */
const DOC: ExperimentDocument = {
  format: "nepi-experiment@1",
  name: "readiness",
  resources: [
    { guid: 1, type: "linux::Node", label: "host", attributes: { hostname: "localhost" }, traces: [], position: { x: 0, y: 0 } },
    {
      guid: 2,
      type: "linux::Application",
      label: "server",
      attributes: { command: "sleep 1; echo listening on; sleep 30" },
      traces: ["stdout"],
      position: { x: 300, y: 0 },
    },
    {
      guid: 3,
      type: "linux::Application",
      label: "client",
      attributes: { command: "echo client" },
      traces: ["stdout"],
      position: { x: 300, y: 200 },
    },
  ],
  connections: [
    { source: 2, target: 1 },
    { source: 3, target: 1 },
  ],
  conditions: [
    {
      group: [3],
      action: "START",
      after: [2],
      state: "STARTED",
      trace: "stdout",
      matches: "listening on",
      timeout: "30s",
      delay: "0s",
    },
  ],
};

let design: DesignStore;
const store = () => design.getState();
const edgeLabels = () =>
  store()
    .edges.filter((e) => e.type === "condition")
    .map((e) => (e.data as ConditionEdgeData).label);

beforeEach(() => {
  design = createDesignerStore();
});

describe("trace-match conditions in the designer", () => {
  it("labels the edge with the trace and the pattern", () => {
    expect(conditionLabel({ action: "START", state: "STARTED", trace: "stdout", matches: "listening on" })).toBe(
      "START after stdout ~ /listening on/",
    );
    expect(conditionLabel({ action: "STOP", state: "STARTED", trace: "stderr", matches: "^error", delay: "2s" })).toBe(
      "STOP after stderr ~ /^error/ + 2s",
    );
    // A state beyond STARTED is waited for as well, and said.
    expect(conditionLabel({ action: "START", state: "FINISHED", trace: "stdout", matches: "ok" })).toBe(
      "START after FINISHED, stdout ~ /ok/",
    );
    expect(conditionLabel({ action: "START", state: "STARTED", delay: "1s" })).toBe("START after STARTED + 1s");
  });

  it("loads, draws and gives back the document unchanged", () => {
    store().loadDocument(DOC);
    expect(edgeLabels()).toEqual(["START after stdout ~ /listening on/ + 0s"]);
    expect(store().toDocument()).toEqual(DOC);
    expect(store().problems).toEqual([]);
  });

  it("edits a state condition into a trace-match one and back, the problems following", () => {
    store().loadDocument({ ...DOC, conditions: [{ group: [3], action: "START", after: [2], state: "FINISHED" }] });
    const id = store().conditions[0]!.id;
    store().updateCondition(id, { trace: "stdout", matches: "", state: "STARTED" });
    expect(edgeLabels()).toEqual(["START after stdout ~ //"]);
    expect(store().problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      "conditions[0].matches: expected a regular expression (it matches every line when empty)",
    ]);
    store().updateCondition(id, { matches: "(" });
    expect(store().problems.map((p) => p.path)).toEqual(["conditions[0].matches"]);
    store().updateCondition(id, { matches: "listening on", timeout: "30s" });
    expect(store().problems).toEqual([]);
    expect(edgeLabels()).toEqual(["START after stdout ~ /listening on/"]);
    expect(store().toDocument().conditions).toEqual([
      { group: [3], action: "START", after: [2], state: "STARTED", trace: "stdout", matches: "listening on", timeout: "30s" },
    ]);
    // A trace the server does not record is a problem on the condition's trace field.
    store().setTrace(2, "stdout", false);
    expect(store().problems.map((p) => p.path)).toEqual(["conditions[0].trace"]);
    store().setTrace(2, "stdout", true);
    // Back to a state: the pattern and the timeout go.
    store().updateCondition(id, { trace: undefined });
    expect(store().toDocument().conditions).toEqual([{ group: [3], action: "START", after: [2], state: "STARTED" }]);
    expect(edgeLabels()).toEqual(["START after STARTED"]);
  });
});
