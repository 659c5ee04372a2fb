import type { ResourceTypeInfo } from "@nepi/core";

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

function howMany(max: number, min: number, rtype: string): string {
  if (max === 1 && min === 1) return `exactly one ${rtype}`;
  return `at most ${max} ${rtype}`;
}

/**
 * Whether `a` and `b` may be connected, following the catalog's connection rules: at least one of
 * the two types must list the other, and neither may exceed its rule's maximum. The reason says
 * why not, in words a person can act on.
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
  if (source === target) return { ok: false, reason: "a resource cannot be connected to itself" };
  if (connections.some((c) => (c.source === source && c.target === target) || (c.source === target && c.target === source))) {
    return { ok: false, reason: `${name(a)} and ${name(b)} are already connected` };
  }
  const infoA = catalog[a.rtype];
  const infoB = catalog[b.rtype];
  if (!infoA) return { ok: false, reason: `unknown resource type ${a.rtype}` };
  if (!infoB) return { ok: false, reason: `unknown resource type ${b.rtype}` };
  const ruleAB = infoA.connections.find((r) => r.rtype === b.rtype);
  const ruleBA = infoB.connections.find((r) => r.rtype === a.rtype);
  if (!ruleAB && !ruleBA) {
    const accepts = (info: ResourceTypeInfo) =>
      info.connections.length ? `${info.rtype} connects to ${info.connections.map((r) => r.rtype).join(", ")}` : "";
    const hint = [...new Set([accepts(infoA), accepts(infoB)])].filter(Boolean).join("; ");
    return { ok: false, reason: `${a.rtype} cannot be connected to ${b.rtype}${hint ? ` (${hint})` : ""}` };
  }
  for (const [self, other, rule] of [
    [a, b, ruleAB],
    [b, a, ruleBA],
  ] as const) {
    if (!rule || rule.max === null) continue;
    const count = countConnectionsTo(self.guid, other.rtype, resources, connections);
    if (count >= rule.max) {
      return {
        ok: false,
        reason: `${name(self)} is a ${self.rtype}: it connects to ${howMany(rule.max, rule.min, other.rtype)}, and already has ${count}`,
      };
    }
  }
  return OK;
}

/** How many resources of type `rtype` the resource `guid` is connected to. */
export function countConnectionsTo(
  guid: number,
  rtype: string,
  resources: ReadonlyMap<number, RuleResource>,
  connections: readonly RuleConnection[],
): number {
  let n = 0;
  for (const c of connections) {
    const other = c.source === guid ? c.target : c.target === guid ? c.source : undefined;
    if (other !== undefined && resources.get(other)?.rtype === rtype) n++;
  }
  return n;
}

/** Whether a condition edge `after → waiting` may be drawn (cycles are listed as problems). */
export function checkConditionEdge(resources: ReadonlyMap<number, RuleResource>, after: number, waiting: number): Check {
  if (!resources.has(after) || !resources.has(waiting)) return { ok: false, reason: "unknown resource" };
  if (after === waiting) return { ok: false, reason: "a resource cannot wait on itself" };
  return OK;
}
