import { beforeEach, describe, expect, it } from "vitest";
import type { Edge } from "@xyflow/react";
import type { ExperimentDocument } from "@nepi/core";
import { createDesignerStore, type DesignStore } from "./store";
import { resourceEdgeId } from "./edge-ids";
import type { LinkEdgeData } from "./link-edges";

let design: DesignStore;
const store = () => design.getState();

/** h1 — l3 — h2: two namespace hosts and the link between them, on a machine (guid 4). */
const PAIR: ExperimentDocument = {
  format: "nepi-experiment@1",
  name: "pair",
  resources: [
    { guid: 1, type: "netns::Node", label: "h1", attributes: {}, traces: [], position: { x: 0, y: 0 } },
    { guid: 2, type: "netns::Node", label: "h2", attributes: {}, traces: [], position: { x: 400, y: 0 } },
    {
      guid: 3,
      type: "netns::Link",
      label: "l3",
      attributes: { rate: "10mbit", delay: "20ms", loss: 1 },
      traces: ["counters"],
      position: { x: 200, y: 0 },
    },
    { guid: 4, type: "linux::Node", label: "m", attributes: { hostname: "localhost" }, traces: [], position: { x: 0, y: 300 } },
  ],
  connections: [
    { source: 3, target: 1 },
    { source: 3, target: 2 },
  ],
  conditions: [],
};

const linkEdges = () => store().edges.filter((e) => e.type === "link");
const data = (e: Edge | undefined) => e?.data as LinkEdgeData | undefined;

beforeEach(() => {
  design = createDesignerStore();
});

describe("a link drawn as an edge", () => {
  it("is the edge between the two it joins: no box, no connection edges, its shaping on it", () => {
    store().loadDocument(PAIR);
    expect([...store().drawnAsEdges]).toEqual([[3, [1, 2]]]);
    expect(store().edges.map((e) => e.id)).toEqual([resourceEdgeId(3)]);
    const [edge] = linkEdges();
    expect(edge).toMatchObject({ source: "1", target: "2" });
    expect(data(edge)).toEqual({ guid: 3, label: "10 Mbit/s · 20 ms · 1 %", changes: "", down: false });
  });

  it("keeps the document as it was: a resource and two connections", () => {
    store().loadDocument(PAIR);
    const doc = store().toDocument();
    expect(doc.resources).toEqual(PAIR.resources);
    expect(doc.connections).toEqual(PAIR.connections);
  });

  it("drawing an edge between two hosts makes a link connected to both, in one undo step", () => {
    store().loadDocument({ ...PAIR, resources: PAIR.resources.filter((r) => r.guid !== 3), connections: [] });
    expect(store().checkConnection(1, 2)).toEqual({ ok: true });
    expect(store().connect(1, 2)).toEqual({ ok: true });
    const link = store().nodes.find((n) => n.data.rtype === "netns::Link")!;
    expect(link.data.guid).toBe(5);
    // Its counters are on: the canvas shows the live throughput from them.
    expect(link.data.traces).toEqual(["counters"]);
    expect(store().connections.map((c) => [c.source, c.target])).toEqual([
      [5, 1],
      [5, 2],
    ]);
    expect(store().selectedGuids).toEqual([5]);
    expect(linkEdges().map((e) => e.id)).toEqual([resourceEdgeId(5)]);
    store().undo();
    expect(store().nodes).toHaveLength(3);
    expect(store().connections).toEqual([]);
    expect(store().edges).toEqual([]);
  });

  it("still refuses what no rule and no link type allows, saying why", () => {
    store().loadDocument(PAIR);
    // A host and its machine: a direct connection, no link.
    expect(store().connect(1, 4)).toEqual({ ok: true });
    expect(store().nodes).toHaveLength(4);
    // A link joins hosts or switches: not a link and a machine, nor two machines.
    expect(store().checkConnection(3, 4)).toEqual({
      ok: false,
      reason:
        "l3 (#3) cannot connect to m (#4): netns::Link connects to netEndpoint (exactly 2); linux::Node connects to nothing",
    });
    store().loadDocument({
      ...PAIR,
      resources: [...PAIR.resources, { guid: 5, type: "linux::Node", attributes: {}, traces: [] }],
    });
    expect(store().checkConnection(4, 5).ok).toBe(false);
    // A link has exactly two ends: a third is refused.
    expect(store().connect(3, 4).ok).toBe(false);
  });

  it("selecting its edge selects the link resource: the inspector opens on it, Delete removes it", () => {
    store().loadDocument(PAIR);
    store().onEdgesChange([{ type: "select", id: resourceEdgeId(3), selected: true }]);
    expect(store().selectedGuids).toEqual([3]);
    expect(store().selectedEdgeIds).toEqual([]);
    store().deleteSelection();
    expect(store().nodes.map((n) => n.data.guid)).toEqual([1, 2, 4]);
    expect(store().connections).toEqual([]);
    store().undo();
    store().selectEdge(resourceEdgeId(3));
    expect(store().selectedGuids).toEqual([3]);
  });

  it("goes with either of its ends", () => {
    store().loadDocument(PAIR);
    store().select([2]);
    store().deleteSelection();
    expect(store().nodes.map((n) => n.data.guid)).toEqual([1, 4]);
    expect(store().connections).toEqual([]);
  });

  it("a link with one end only is a box again, so it can be mended", () => {
    store().loadDocument({ ...PAIR, connections: [{ source: 3, target: 1 }] });
    expect(store().drawnAsEdges.size).toBe(0);
    expect(store().edges.map((e) => e.type)).toEqual(["connection"]);
  });

  it("re-labels only the edge an edit changed", () => {
    store().loadDocument({
      ...PAIR,
      resources: [
        ...PAIR.resources,
        { guid: 5, type: "netns::Node", label: "h3", attributes: {}, traces: [] },
        { guid: 6, type: "netns::Link", label: "l6", attributes: {}, traces: [] },
      ],
      connections: [...PAIR.connections, { source: 6, target: 2 }, { source: 6, target: 5 }],
    });
    const before = linkEdges();
    expect(data(before[1])?.label).toBe("");
    store().setAttribute(6, "rate", "512kbit");
    store().setAttribute(6, "up", false);
    const after = linkEdges();
    expect(after[0]).toBe(before[0]);
    expect(data(after[1])).toMatchObject({ label: "512 kbit/s", down: true });
  });

  it("shows what changes it during the run", () => {
    store().loadDocument({
      ...PAIR,
      attributeConditions: [{ group: [3], attribute: "loss", value: 5, after: [1], state: "STARTED", delay: "20s" }],
    });
    expect(data(linkEdges()[0])?.changes).toBe("set loss to 5 once h1 reaches STARTED, plus 20s");
  });
});

describe("the machine of a host", () => {
  it("is set, changed and removed as its one machine connection", () => {
    store().loadDocument(PAIR);
    store().setMachine(1, 4);
    expect(store().connections.filter((c) => c.source === 1)).toEqual([{ id: "link-1-4", source: 1, target: 4 }]);
    store().setMachine(1, null);
    expect(store().connections.some((c) => (c.source === 1 || c.target === 1 ? c.target === 4 : false))).toBe(false);
    // Only a machine can be picked.
    store().setMachine(1, 2);
    expect(store().connections).toHaveLength(2);
  });
});

describe("Insert topology", () => {
  it("adds the whole topology as one undo step, with labels the design does not have", () => {
    store().loadDocument(PAIR);
    expect(store().insertTopology({ kind: "line", hosts: 3, link: { rate: "10mbit" } }, { x: 0, y: 600 })).toBe(true);
    const labels = store().nodes.map((n) => n.data.label);
    expect(labels).toEqual(["h1", "h2", "l3", "m", "h3", "r1", "l1", "h4", "l2"]);
    expect(new Set(labels).size).toBe(labels.length);
    expect(store().drawnAsEdges.size).toBe(3);
    expect(data(linkEdges()[2])?.label).toBe("10 Mbit/s");
    expect(store().selectedGuids).toEqual([5, 6, 7, 8, 9]);
    store().undo();
    expect(store().nodes).toHaveLength(4);
  });

  it("refuses numbers that make no topology with a notice naming the field, changing nothing", () => {
    store().loadDocument(PAIR);
    expect(store().insertTopology({ kind: "ring", hosts: 2 }, { x: 0, y: 0 })).toBe(false);
    expect(store().notice?.text).toMatch(/hosts: a ring needs/);
    expect(store().nodes).toHaveLength(4);
    expect(store().past).toHaveLength(0);
  });
});
