import { linkProblem, type LinkProblemCode, type LinkView, type ResourceTypeInfo } from "@nepi/core";
import { isDrawnAsEdge } from "./link-edges";

/** What the canvas needs to know about a resource to check a connection. */
export interface RuleResource {
  guid: number;
  rtype: string;
  label: string;
}

export interface RuleConnection {
  source: number;
  target: number;
}

export type Check = { ok: true } | { ok: false; reason: string };

const OK: Check = { ok: true };

function name(r: RuleResource): string {
  return r.label ? `${r.label} (#${r.guid})` : `#${r.guid}`;
}

/**
 * Whether `a` and `b` may be connected: core's connection check (the one the engine and
 * validation use) over the canvas's resources and links. The reason says why not.
 */
export function checkConnection(
  catalog: Record<string, ResourceTypeInfo>,
  resources: ReadonlyMap<number, RuleResource>,
  connections: readonly RuleConnection[],
  source: number,
  target: number,
): Check {
  const problem = connectionProblem(catalog, resources, connections, source, target);
  return problem ? { ok: false, reason: problem.message } : OK;
}

/** Why `a` and `b` may not be connected directly (core's check), or undefined when they may. */
export function connectionProblem(
  catalog: Record<string, ResourceTypeInfo>,
  resources: ReadonlyMap<number, RuleResource>,
  connections: readonly RuleConnection[],
  source: number,
  target: number,
): { code: LinkProblemCode | "UNKNOWN_GUID"; message: string } | undefined {
  const a = resources.get(source);
  const b = resources.get(target);
  if (!a || !b) return { code: "UNKNOWN_GUID", message: `unknown resource #${!a ? source : target}` };
  return linkProblem(viewOf(catalog, resources, connections), source, target);
}

function viewOf(
  catalog: Record<string, ResourceTypeInfo>,
  resources: ReadonlyMap<number, RuleResource>,
  connections: readonly RuleConnection[],
): LinkView {
  return {
    info: (g) => {
      const rtype = resources.get(g)?.rtype;
      return rtype === undefined ? undefined : catalog[rtype];
    },
    connections: (g) => connections.flatMap((c) => (c.source === g ? [c.target] : c.target === g ? [c.source] : [])),
    name: (g) => {
      const r = resources.get(g);
      return r ? name(r) : `#${g}`;
    },
  };
}

/**
 * The edge-drawn type (a network link) that may join `a` and `b` when they have no rule of their
 * own about each other: the one whose rules accept both, by core's connection check on a new
 * resource of that type. Undefined when none does.
 */
export function joiningEdgeType(
  catalog: Record<string, ResourceTypeInfo>,
  resources: ReadonlyMap<number, RuleResource>,
  connections: readonly RuleConnection[],
  a: number,
  b: number,
): string | undefined {
  if (a === b || !resources.has(a) || !resources.has(b)) return undefined;
  const fresh = -1;
  for (const info of Object.values(catalog)) {
    if (!isDrawnAsEdge(info)) continue;
    const withLink = new Map(resources).set(fresh, { guid: fresh, rtype: info.rtype, label: "" });
    if (linkProblem(viewOf(catalog, withLink, connections), fresh, a)) continue;
    const joined = [...connections, { source: fresh, target: a }];
    if (!linkProblem(viewOf(catalog, withLink, joined), fresh, b)) return info.rtype;
  }
  return undefined;
}

/** Whether a condition edge `after → waiting` may be drawn (cycles are listed as problems). */
export function checkConditionEdge(resources: ReadonlyMap<number, RuleResource>, after: number, waiting: number): Check {
  if (!resources.has(after) || !resources.has(waiting)) return { ok: false, reason: "unknown resource" };
  if (after === waiting) return { ok: false, reason: "a resource cannot wait on itself" };
  return OK;
}
