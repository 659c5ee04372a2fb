import { beforeEach, describe, expect, it } from "vitest";
import type { ExperimentDocument } from "@nepi/core";
import { createDesignerStore, type DesignState, type DesignStore } from "./store";
import { withSelection } from "./slices/selection";
import { deployBlocker, designGate } from "../run/actions";

let design: DesignStore;
const store = () => design.getState();
/** Why Deploy is refused for the design in the store (no run going on). */
const blocked = (s: DesignState) => deployBlocker({ ...designGate(s), busy: false });

/** The document of the issue: a local node, an application on it, a ping started 1s after it. */
const PING_DEMO: ExperimentDocument = {
  format: "nepi-experiment@1",
  name: "ping-demo",
  description: "an application and a ping on localhost",
  resources: [
    { guid: 1, type: "linux::Node", label: "host", attributes: { hostname: "localhost" }, traces: [], position: { x: 0, y: 0 } },
    {
      guid: 2,
      type: "linux::Application",
      label: "app",
      attributes: { command: "echo hello; sleep 1" },
      traces: ["stdout"],
      position: { x: 300, y: 0 },
    },
    {
      guid: 3,
      type: "linux::Ping",
      label: "ping",
      attributes: { target: "127.0.0.1", count: 3 },
      traces: ["stdout"],
      position: { x: 300, y: 200 },
    },
  ],
  connections: [
    { source: 2, target: 1 },
    { source: 3, target: 1 },
  ],
  conditions: [{ group: [3], action: "START", after: [2], state: "STARTED", delay: "1s" }],
};

beforeEach(() => {
  design = createDesignerStore();
});

describe("document round trip", () => {
  it("loadDocument then toDocument gives the same document", () => {
    store().loadDocument(PING_DEMO, { experimentId: "exp-1" });
    expect(store().toDocument()).toEqual(PING_DEMO);
    expect(store().experimentId).toBe("exp-1");
    expect(store().readOnly).toBe(false);
    expect(store().dirty).toBe(false);
  });

  it("draws one solid edge per connection and one dashed condition edge with a readable label", () => {
    store().loadDocument(PING_DEMO);
    const edges = store().edges;
    expect(edges.filter((e) => e.type === "connection")).toHaveLength(2);
    const cond = edges.filter((e) => e.type === "condition");
    expect(cond).toHaveLength(1);
    expect(cond[0]!.source).toBe("2");
    expect(cond[0]!.target).toBe("3");
    expect((cond[0]!.data as { label: string }).label).toBe("START after STARTED + 1s");
  });

  it("keeps a read-only document from being edited", () => {
    store().loadDocument(PING_DEMO, { readOnly: true });
    expect(store().addResource("linux::Node", { x: 0, y: 0 })).toBeNull();
    store().setAttribute(1, "hostname", "elsewhere");
    store().select([1]);
    store().deleteSelection();
    expect(store().toDocument()).toEqual(PING_DEMO);
    expect(blocked(store())).toMatch(/read-only/);
  });

  it("places resources without a position on a grid", () => {
    const doc: ExperimentDocument = { ...PING_DEMO, resources: PING_DEMO.resources.map(({ position: _p, ...r }) => r) };
    store().loadDocument(doc);
    const positions = store()
      .toDocument()
      .resources.map((r) => r.position);
    expect(new Set(positions.map((p) => `${p!.x},${p!.y}`)).size).toBe(3);
  });
});

describe("editing", () => {
  it("adds a resource with the next guid, a default label, its required defaults and output traces", () => {
    const node = store().addResource("linux::Node", { x: 10, y: 20 });
    const app = store().addResource("linux::Application", { x: 300, y: 20 });
    expect([node, app]).toEqual([1, 2]);
    const doc = store().toDocument();
    expect(doc.resources[0]).toMatchObject({
      guid: 1,
      type: "linux::Node",
      label: "node1",
      attributes: { hostname: "localhost" },
    });
    expect(doc.resources[1]).toMatchObject({ guid: 2, label: "application2", traces: ["stdout", "stderr"] });
    expect(store().selectedGuids).toEqual([2]);
  });

  it("refuses an unknown resource type with a message", () => {
    expect(store().addResource("linux::Nope", { x: 0, y: 0 })).toBeNull();
    expect(store().notice?.text).toMatch(/Unknown resource type linux::Nope/);
  });

  it("sets and removes attributes, toggles traces, renames", () => {
    store().addResource("linux::Ping", { x: 0, y: 0 });
    store().setAttribute(1, "target", "127.0.0.1");
    store().setAttribute(1, "count", 4);
    store().setTrace(1, "stderr", false);
    store().setLabel(1, "probe");
    store().setAttribute(1, "count", undefined);
    expect(store().toDocument().resources[0]).toMatchObject({
      label: "probe",
      attributes: { target: "127.0.0.1" },
      traces: ["stdout"],
    });
  });

  it("deletes a node with its connections and its place in conditions", () => {
    store().loadDocument(PING_DEMO);
    store().select([2]);
    store().deleteSelection();
    const doc = store().toDocument();
    expect(doc.resources.map((r) => r.guid)).toEqual([1, 3]);
    expect(doc.connections).toEqual([{ source: 3, target: 1 }]);
    expect(doc.conditions).toEqual([]);
  });

  it("deletes a selected condition edge only", () => {
    store().loadDocument(PING_DEMO);
    const edge = store().edges.find((e) => e.type === "condition")!;
    store().selectEdge(edge.id);
    store().deleteSelection();
    expect(store().toDocument().conditions).toEqual([]);
    expect(store().toDocument().connections).toHaveLength(2);
  });

  it("edits a condition's action, state and delay", () => {
    store().loadDocument(PING_DEMO);
    const id = store().conditions[0]!.id;
    store().updateCondition(id, { action: "STOP", state: "FINISHED", delay: "" });
    expect(store().toDocument().conditions).toEqual([{ group: [3], action: "STOP", after: [2], state: "FINISHED" }]);
    expect((store().edges.find((e) => e.type === "condition")!.data as { label: string }).label).toBe("STOP after FINISHED");
  });

  it("copies and pastes the selection with new guids and the links among it", () => {
    store().loadDocument(PING_DEMO);
    store().select([1, 2]);
    expect(store().copySelection()).toBe(2);
    expect(store().paste()).toEqual([4, 5]);
    const doc = store().toDocument();
    expect(doc.resources.map((r) => r.guid)).toEqual([1, 2, 3, 4, 5]);
    expect(doc.resources[3]).toMatchObject({ type: "linux::Node", position: { x: 40, y: 40 } });
    // The app→node link is copied; the ping's link to node 1 and the condition (ping not copied) are not.
    expect(doc.connections).toContainEqual({ source: 5, target: 4 });
    expect(doc.connections).toHaveLength(3);
    expect(doc.conditions).toHaveLength(1);
    expect(store().selectedGuids).toEqual([4, 5]);
  });
});

describe("connection rules (core catalog)", () => {
  beforeEach(() => {
    store().addResource("linux::Node", { x: 0, y: 0 }); // 1
    store().addResource("linux::Node", { x: 0, y: 200 }); // 2
    store().addResource("linux::Application", { x: 300, y: 0 }); // 3
    store().addResource("linux::Application", { x: 300, y: 200 }); // 4
  });

  it("connects an application to a node, in either direction", () => {
    expect(store().connect(3, 1)).toEqual({ ok: true });
    expect(store().connect(2, 4)).toEqual({ ok: true });
    expect(store().toDocument().connections).toEqual([
      { source: 3, target: 1 },
      { source: 2, target: 4 },
    ]);
  });

  it("refuses a second node for an application: it connects to exactly one node", () => {
    store().connect(3, 1);
    const r = store().connect(3, 2);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/connects to exactly 1 host and already has 1/);
    expect(store().notice).toMatchObject({ kind: "error" });
    expect(store().notice!.text).toMatch(/^Connection refused/);
    expect(store().toDocument().connections).toHaveLength(1);
  });

  it("refuses types that do not connect, duplicates and self links", () => {
    const appApp = store().checkConnection(3, 4);
    expect(!appApp.ok && appApp.reason).toMatch(/cannot connect to .*: linux::Application connects to host \(exactly 1\)/);
    const nodeNode = store().checkConnection(1, 2);
    expect(nodeNode.ok).toBe(false);
    store().connect(3, 1);
    const dup = store().checkConnection(1, 3);
    expect(!dup.ok && dup.reason).toMatch(/already connected/);
    expect(store().checkConnection(1, 1).ok).toBe(false);
  });

  it("refuses a condition of a resource on itself", () => {
    expect(store().addCondition(3, 3).ok).toBe(false);
    expect(store().addCondition(3, 4).ok).toBe(true);
    expect(store().toDocument().conditions).toEqual([{ group: [4], action: "START", after: [3], state: "STARTED" }]);
    expect(store().selectedEdgeIds).toHaveLength(1);
  });
});

describe("undo / redo", () => {
  it("undoes and redoes each edit in order", () => {
    store().addResource("linux::Node", { x: 0, y: 0 });
    store().addResource("linux::Application", { x: 300, y: 0 });
    store().connect(2, 1);
    const full = store().toDocument();
    store().undo();
    expect(store().toDocument().connections).toEqual([]);
    store().undo();
    expect(store().toDocument().resources).toHaveLength(1);
    store().undo();
    expect(store().toDocument().resources).toHaveLength(0);
    store().undo(); // nothing left: no change
    expect(store().past).toHaveLength(0);
    store().redo();
    store().redo();
    store().redo();
    expect(store().toDocument()).toEqual(full);
    expect(store().future).toHaveLength(0);
  });

  it("New keeps the previous design one undo away, as a new unsaved experiment", () => {
    store().loadDocument(PING_DEMO, { experimentId: "exp-1" });
    store().newDesign();
    expect(store().toDocument().resources).toEqual([]);
    expect(store().experimentId).toBeNull();
    store().undo();
    expect(store().toDocument()).toEqual(PING_DEMO);
    expect(store().experimentId).toBeNull();
  });

  it("a new edit after an undo drops the redo branch", () => {
    store().addResource("linux::Node", { x: 0, y: 0 });
    store().addResource("linux::Node", { x: 0, y: 100 });
    store().undo();
    store().addResource("sim::Task", { x: 0, y: 100 });
    expect(store().future).toHaveLength(0);
    expect(
      store()
        .toDocument()
        .resources.map((r) => r.type),
    ).toEqual(["linux::Node", "sim::Task"]);
  });

  it("typing into one field is one undo step; another field starts a new one", () => {
    store().addResource("linux::Application", { x: 0, y: 0 });
    for (const text of ["e", "ec", "ech", "echo"]) store().setAttribute(1, "command", text);
    store().setAttribute(1, "env", "A=1");
    store().undo();
    expect(store().toDocument().resources[0]!.attributes).toEqual({ command: "echo" });
    store().undo();
    expect(store().toDocument().resources[0]!.attributes).toEqual({});
  });

  it("a drag is one undo step (checkpoint before the move)", () => {
    store().addResource("sim::Task", { x: 0, y: 0 });
    store().checkpoint();
    store().onNodesChange([{ id: "1", type: "position", position: { x: 50, y: 0 }, dragging: true }]);
    store().onNodesChange([{ id: "1", type: "position", position: { x: 120, y: 30 }, dragging: false }]);
    expect(store().toDocument().resources[0]!.position).toEqual({ x: 120, y: 30 });
    store().undo();
    expect(store().toDocument().resources[0]!.position).toEqual({ x: 0, y: 0 });
  });

  it("restores deleted resources with their connections and conditions", () => {
    store().loadDocument(PING_DEMO);
    store().select([1, 2, 3]);
    store().deleteSelection();
    expect(store().toDocument().resources).toHaveLength(0);
    store().undo();
    expect(store().toDocument()).toEqual(PING_DEMO);
  });
});

describe("problems and the deploy gate (core validateDocument)", () => {
  it("an empty design cannot be deployed", () => {
    expect(blocked(store())).toMatch(/empty/);
  });

  it("lists a missing required attribute and an unconnected application, then clears them", () => {
    store().addResource("linux::Node", { x: 0, y: 0 });
    store().addResource("linux::Application", { x: 300, y: 0 });
    const problems = store().problems;
    expect(problems.some((p) => p.guid === 2 && /command/.test(p.path + p.message))).toBe(true);
    expect(problems.some((p) => p.guid === 2 && /needs a host connection/.test(p.message))).toBe(true);
    expect(blocked(store())).toMatch(/^Fix the 2 problems listed below/);
    store().setAttribute(2, "command", "echo hello");
    store().connect(2, 1);
    expect(store().problems).toEqual([]);
    expect(blocked(store())).toBeNull();
  });

  it("lists a bad value typed into an attribute", () => {
    store().addResource("sim::Task", { x: 0, y: 0 });
    store().setAttribute(1, "duration", "2 parsecs");
    expect(store().problems.some((p) => p.guid === 1 && p.path.includes("duration"))).toBe(true);
  });

  it("lists a condition cycle", () => {
    store().addResource("sim::Task", { x: 0, y: 0 });
    store().addResource("sim::Task", { x: 0, y: 100 });
    store().addCondition(1, 2);
    store().addCondition(2, 1);
    expect(store().problems.some((p) => /cycle/i.test(p.message))).toBe(true);
  });

  it("select() selects the nodes a problem is about", () => {
    store().loadDocument(PING_DEMO);
    store().select([3], { focus: true });
    expect(store().selectedGuids).toEqual([3]);
    const drawn = withSelection(store().nodes, new Set(store().selectedGuids.map(String)));
    expect(drawn.filter((n) => n.selected).map((n) => n.id)).toEqual(["3"]);
    expect(store().focusSeq).toBeGreaterThan(0);
  });
});

describe("one store per editor", () => {
  it("two stores are independent: content, undo history, selection, clipboard and notices", () => {
    const a = createDesignerStore();
    const b = createDesignerStore();
    a.getState().loadDocument(PING_DEMO);
    a.getState().select([1, 2]);
    a.getState().copySelection();
    a.getState().notify("info", "only in a");

    expect(b.getState().nodes).toEqual([]);
    expect(b.getState().selectedGuids).toEqual([]);
    expect(b.getState().notice).toBeNull();
    // The clipboard is the editor's own: a paste in another editor adds nothing.
    expect(b.getState().paste()).toEqual([]);
    expect(b.getState().past).toEqual([]);

    b.getState().addResource("sim::Task", { x: 0, y: 0 });
    expect(a.getState().toDocument()).toEqual(PING_DEMO);
    expect(a.getState().paste()).toEqual([4, 5]);
  });

  it("each store numbers its own notices and conditions", () => {
    const a = createDesignerStore();
    const b = createDesignerStore();
    a.getState().notify("info", "one");
    a.getState().notify("info", "two");
    b.getState().notify("info", "first of b");
    expect(a.getState().notice!.id).toBe(2);
    expect(b.getState().notice!.id).toBe(1);
    a.getState().loadDocument(PING_DEMO);
    b.getState().loadDocument(PING_DEMO);
    expect(a.getState().conditions[0]!.id).toBe(b.getState().conditions[0]!.id);
  });
});

describe("the selection, kept once", () => {
  it("lives in selectedGuids and selectedEdgeIds only: no node or edge of the design carries a flag", () => {
    store().loadDocument(PING_DEMO);
    store().select([1, 3]);
    expect(store().selectedGuids).toEqual([1, 3]);
    expect(store().nodes.every((n) => n.selected === undefined)).toBe(true);
    const edge = store().edges.find((e) => e.type === "condition")!;
    store().selectEdge(edge.id);
    expect(store().selectedGuids).toEqual([]);
    expect(store().selectedEdgeIds).toEqual([edge.id]);
    expect(store().edges.every((e) => e.selected === undefined)).toBe(true);
  });

  it("follows xyflow's select changes: a click replaces it, Ctrl+click adds to it", () => {
    store().loadDocument(PING_DEMO);
    store().onNodesChange([{ id: "2", type: "select", selected: true }]);
    expect(store().selectedGuids).toEqual([2]);
    store().onNodesChange([
      { id: "2", type: "select", selected: false },
      { id: "3", type: "select", selected: true },
    ]);
    expect(store().selectedGuids).toEqual([3]);
    store().onNodesChange([{ id: "1", type: "select", selected: true }]);
    expect(store().selectedGuids).toEqual([3, 1]);
    const link = store().edges.find((e) => e.type === "connection")!;
    store().onEdgesChange([{ id: link.id, type: "select", selected: true }]);
    expect(store().selectedEdgeIds).toEqual([link.id]);
    // What the canvas draws is made from it.
    const drawn = withSelection(store().nodes, new Set(store().selectedGuids.map(String)));
    expect(drawn.filter((n) => n.selected).map((n) => n.id)).toEqual(["1", "3"]);
    // A node that did not change keeps its identity (it is not re-rendered).
    expect(drawn.find((n) => n.id === "2")).toBe(store().nodes.find((n) => n.id === "2"));
  });

  it("a selected condition edge stays selected when an edit redraws the edges", () => {
    store().loadDocument(PING_DEMO);
    const edge = store().edges.find((e) => e.type === "condition")!;
    store().selectEdge(edge.id);
    store().updateCondition(store().conditions[0]!.id, { delay: "3s" });
    expect(store().selectedEdgeIds).toEqual([edge.id]);
    expect(withSelection(store().edges, new Set(store().selectedEdgeIds)).find((e) => e.id === edge.id)!.selected).toBe(true);
  });

  it("drops what is gone: deleted resources, a resource undone, a condition removed", () => {
    store().loadDocument(PING_DEMO);
    store().select([2, 3]);
    store().deleteSelection();
    expect(store().selectedGuids).toEqual([]);
    store().undo();
    expect(store().toDocument()).toEqual(PING_DEMO);

    const added = store().addResource("sim::Task", { x: 0, y: 400 })!;
    expect(store().selectedGuids).toEqual([added]);
    store().undo();
    expect(store().selectedGuids).toEqual([]);

    const edge = store().edges.find((e) => e.type === "condition")!;
    store().selectEdge(edge.id);
    store().removeCondition(store().conditions[0]!.id);
    expect(store().selectedEdgeIds).toEqual([]);
  });

  it("a drag of a selected resource keeps it selected", () => {
    store().loadDocument(PING_DEMO);
    store().select([2]);
    store().onNodesChange([{ id: "2", type: "position", position: { x: 500, y: 10 }, dragging: false }]);
    expect(store().selectedGuids).toEqual([2]);
    expect(store().toDocument().resources[1]!.position).toEqual({ x: 500, y: 10 });
  });
});

describe("the deploy gate", () => {
  it("names the reason Deploy is refused: read-only, a run going on, an empty design, problems", () => {
    const gate = { readOnly: false, empty: false, busy: false, problemCount: 0 };
    expect(deployBlocker(gate)).toBeNull();
    expect(deployBlocker({ ...gate, empty: true })).toMatch(/empty/);
    expect(deployBlocker({ ...gate, problemCount: 1 })).toMatch(/Fix the problem listed/);
    expect(deployBlocker({ ...gate, busy: true, empty: true })).toMatch(/A run is going on/);
    expect(deployBlocker({ ...gate, readOnly: true, busy: true })).toMatch(/read-only/);
  });

  it("counts errors, not warnings", () => {
    const warning = { path: "name", message: "a warning", severity: "warning" as const };
    const error = { path: "name", message: "an error" };
    expect(designGate({ readOnly: false, nodes: [], problems: [warning, error] })).toEqual({
      readOnly: false,
      empty: true,
      problemCount: 1,
    });
  });
});

describe("a campaign in the document", () => {
  const CAMPAIGN: NonNullable<ExperimentDocument["campaign"]> = {
    parameters: [{ resource: "ping", attribute: "count", values: [1, 3] }],
    repetitions: { count: 2 },
    metrics: [{ name: "rtt", resource: "ping", trace: "stdout", extract: "ping.rttAvg" }],
  };

  it("is kept through an edit, undo and save, and not carried into the next design", () => {
    const design = createDesignerStore();
    design.getState().loadDocument({ ...PING_DEMO, campaign: CAMPAIGN });
    expect(design.getState().problems).toEqual([]);
    design.getState().setDescription("edited");
    expect(design.getState().toDocument().campaign).toEqual(CAMPAIGN);
    design.getState().undo();
    expect(design.getState().toDocument().campaign).toEqual(CAMPAIGN);
    design.getState().loadDocument(PING_DEMO);
    expect(design.getState().toDocument().campaign).toBeUndefined();
    design.getState().loadDocument({ ...PING_DEMO, campaign: CAMPAIGN });
    design.getState().newDesign();
    expect(design.getState().toDocument().campaign).toBeUndefined();
  });
});
