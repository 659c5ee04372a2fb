import type { ELK as ElkApi } from "elkjs/lib/elk-api.js";
import { ruleToward, type ResourceTypeInfo } from "@nepi/core";
import type { DesignConnection, DesignCondition, ResourceNode } from "./model";
import { conditionEdgeId } from "./edge-ids";

// elkjs is large (~1.5 MB): it is loaded the first time someone asks for a layout.
let elk: Promise<ElkApi> | null = null;
function getElk(): Promise<ElkApi> {
  elk ??= import("elkjs/lib/elk.bundled.js").then((m) => new m.default());
  return elk;
}

const DEFAULT_WIDTH = 200;
const DEFAULT_HEIGHT = 96;

/**
 * New positions from elkjs's layered layout, left to right: a host first, the resources that run
 * on it in a column to its right (conditions between them are short dashed links down the
 * column). Conditions order the layers only among resources that are on no host (sim tasks).
 */
export async function autoLayout(
  nodes: readonly ResourceNode[],
  connections: readonly DesignConnection[],
  conditions: readonly DesignCondition[],
  catalog: Readonly<Record<string, ResourceTypeInfo>>,
): Promise<Map<number, { x: number; y: number }>> {
  const hosted = new Set<number>();
  const edges: { id: string; sources: string[]; targets: string[] }[] = [];
  const typeOf = new Map(nodes.map((n) => [n.data.guid, catalog[n.data.rtype]]));
  /** Whether `b` has a rule about `a` that `a` has not about `b`: `a` is what `b` runs on (its host). */
  const under = (a: number, b: number) => {
    const ta = typeOf.get(a);
    const tb = typeOf.get(b);
    return Boolean(ta && tb && ruleToward(tb, ta) && !ruleToward(ta, tb));
  };
  for (const c of connections) {
    // What the other runs on (the host) goes first.
    const [first, second] = under(c.source, c.target) ? [c.source, c.target] : [c.target, c.source];
    edges.push({ id: c.id, sources: [String(first)], targets: [String(second)] });
    hosted.add(c.source).add(c.target);
  }
  for (const c of conditions) {
    for (const a of c.after) {
      for (const g of c.group) {
        if (hosted.has(a) || hosted.has(g)) continue;
        edges.push({ id: conditionEdgeId(c.id, a, g), sources: [String(a)], targets: [String(g)] });
      }
    }
  }
  const graph = await (
    await getElk()
  ).layout({
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.spacing.nodeNode": "90",
      "elk.layered.spacing.nodeNodeBetweenLayers": "140",
      "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
      "elk.separateConnectedComponents": "true",
      "elk.spacing.componentComponent": "90",
      "elk.aspectRatio": "1.6",
    },
    children: nodes.map((n) => ({
      id: n.id,
      width: n.measured?.width ?? DEFAULT_WIDTH,
      height: n.measured?.height ?? DEFAULT_HEIGHT,
    })),
    edges,
  });
  const out = new Map<number, { x: number; y: number }>();
  for (const child of graph.children ?? []) out.set(Number(child.id), { x: child.x ?? 0, y: child.y ?? 0 });
  return out;
}
