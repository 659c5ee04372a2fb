/**
 * The ids of the edges xyflow draws, made and read here only: a connection is `link-S-T`, one
 * pair of a condition is `<condition id>:<awaited guid>><waiting guid>`, a resource drawn as an
 * edge (a network link) is `resource-G`.
 */
export type EdgeRef =
  | { kind: "connection"; source: number; target: number }
  | { kind: "condition"; conditionId: string; after: number; waiting: number }
  | { kind: "resource"; guid: number };

export function connectionEdgeId(source: number, target: number): string {
  return `link-${source}-${target}`;
}

export function conditionEdgeId(conditionId: string, after: number, waiting: number): string {
  return `${conditionId}:${after}>${waiting}`;
}

/** The edge of a resource drawn as the line between the two it joins. */
export function resourceEdgeId(guid: number): string {
  return `resource-${guid}`;
}

/** The guid of the resource an edge stands for (a link drawn as an edge), or undefined. */
export function resourceOfEdge(id: string): number | undefined {
  const m = RESOURCE.exec(id);
  return m ? Number(m[1]) : undefined;
}

const CONNECTION = /^link-(\d+)-(\d+)$/;
const RESOURCE = /^resource-(\d+)$/;
// The guids are the last two numbers; the condition id is everything before the last colon.
const CONDITION = /^(.+):(\d+)>(\d+)$/;

/** What an edge id stands for, or null for an id no edge of the designer has. */
export function parseEdgeId(id: string): EdgeRef | null {
  const link = CONNECTION.exec(id);
  if (link) return { kind: "connection", source: Number(link[1]), target: Number(link[2]) };
  const resource = RESOURCE.exec(id);
  if (resource) return { kind: "resource", guid: Number(resource[1]) };
  const cond = CONDITION.exec(id);
  if (cond) return { kind: "condition", conditionId: cond[1]!, after: Number(cond[2]), waiting: Number(cond[3]) };
  return null;
}
