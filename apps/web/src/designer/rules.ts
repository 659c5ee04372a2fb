import { linkProblem, type LinkView, type ResourceTypeInfo } from "@nepi/core";

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
  const a = resources.get(source);
  const b = resources.get(target);
  if (!a || !b) return { ok: false, reason: `unknown resource #${!a ? source : target}` };
  const view: LinkView = {
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
  const problem = linkProblem(view, source, target);
  return problem ? { ok: false, reason: problem.message } : OK;
}

/** Whether a condition edge `after → waiting` may be drawn (cycles are listed as problems). */
export function checkConditionEdge(resources: ReadonlyMap<number, RuleResource>, after: number, waiting: number): Check {
  if (!resources.has(after) || !resources.has(waiting)) return { ok: false, reason: "unknown resource" };
  if (after === waiting) return { ok: false, reason: "a resource cannot wait on itself" };
  return OK;
}
