import { describe, expect, it } from "vitest";
import { conditionEdgeId, connectionEdgeId, parseEdgeId } from "./edge-ids";
import { buildEdges } from "./model";

describe("edge ids", () => {
  it("a connection's id reads back as its two ends", () => {
    expect(parseEdgeId(connectionEdgeId(12, 3))).toEqual({ kind: "connection", source: 12, target: 3 });
  });

  it("a condition pair's id reads back as the condition and the pair, whatever the condition id holds", () => {
    for (const conditionId of ["k1", "k42", "a:b", "x>y:7"]) {
      expect(parseEdgeId(conditionEdgeId(conditionId, 5, 61))).toEqual({ kind: "condition", conditionId, after: 5, waiting: 61 });
    }
  });

  it("an id no edge has is not taken for one", () => {
    for (const id of ["", "link-1", "link-a-2", "k1", "k1:2", "k1:2>", ":2>3"]) expect(parseEdgeId(id)).toBeNull();
  });

  it("every edge the canvas draws has an id that names its ends", () => {
    const edges = buildEdges(
      [{ id: connectionEdgeId(2, 1), source: 2, target: 1 }],
      [{ id: "k7", group: [3, 4], action: "START", after: [2], state: "STARTED" }],
    );
    for (const e of edges) {
      const ref = parseEdgeId(e.id);
      expect(ref).not.toBeNull();
      if (ref?.kind === "connection") expect([String(ref.source), String(ref.target)]).toEqual([e.source, e.target]);
      if (ref?.kind === "condition") {
        expect(ref.conditionId).toBe("k7");
        expect([String(ref.after), String(ref.waiting)]).toEqual([e.source, e.target]);
      }
    }
    expect(edges.map((e) => e.id)).toEqual(["link-2-1", "k7:2>3", "k7:2>4"]);
  });
});
