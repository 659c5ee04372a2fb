import type { ELK as ElkApi } from "elkjs/lib/elk-api.js";
import type { DesignConnection, DesignCondition, ResourceNode } from "./model";

// elkjs is large (~1.5 MB): it is loaded the first time someone asks for a layout.
let elk: Promise<ElkApi> | null = null;
function getElk(): Promise<ElkApi> {
  elk ??= import("elkjs/lib/elk.bundled.js").then((m) => new m.default());
  return elk;
}

const DEFAULT_WIDTH = 200;
const DEFAULT_HEIGHT = 96;

/**
 * New positions from elkjs's layered layout: conditions flow top to bottom (what waits sits
 * below what it waits on) and connected resources stay side by side.
 */
export async function autoLayout(
  nodes: readonly ResourceNode[],
  connections: readonly DesignConnection[],
  conditions: readonly DesignCondition[],
): Promise<Map<number, { x: number; y: number }>> {
  const edges: { id: string; sources: string[]; targets: string[] }[] = [];
  for (const c of connections) {
    // The node an application runs on comes first (above it).
    edges.push({ id: c.id, sources: [String(c.target)], targets: [String(c.source)] });
  }
  for (const c of conditions) {
    for (const a of c.after) for (const g of c.group) edges.push({ id: `${c.id}:${a}>${g}`, sources: [String(a)], targets: [String(g)] });
  }
  const graph = await (await getElk()).layout({
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "DOWN",
      "elk.spacing.nodeNode": "48",
      "elk.layered.spacing.nodeNodeBetweenLayers": "72",
      "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
      "elk.separateConnectedComponents": "true",
      "elk.spacing.componentComponent": "80",
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
