import type { AttributeValue, ConnectionRule, ResourceTypeInfo } from "../model/catalog-schema.js";

/** The rule that lets `a` and `b` connect (declared by either side), or undefined. */
export function connectionRule(a: ResourceTypeInfo, b: ResourceTypeInfo): ConnectionRule | undefined {
  return a.connections.find((c) => c.rtype === b.rtype) ?? b.connections.find((c) => c.rtype === a.rtype);
}

/** Rules by which a type deploys only after a connected resource reached a state. */
export function deployAfterRules(info: ResourceTypeInfo): ConnectionRule[] {
  return info.connections.filter((c) => c.deployAfter !== undefined);
}

/** Required attributes that have no value (an empty string counts as none). */
export function missingRequiredAttributes(info: ResourceTypeInfo, valueOf: (name: string) => AttributeValue | undefined): string[] {
  return info.attributes.filter((a) => a.required && (valueOf(a.name) === undefined || valueOf(a.name) === "")).map((a) => a.name);
}

const FILE_TRACE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Why `name` is not a trace of this type, or undefined when it is. */
export function traceProblem(info: ResourceTypeInfo, name: string): string | undefined {
  if (info.traces.some((t) => t.name === name)) return undefined;
  if (info.anyFileTrace && FILE_TRACE.test(name)) return undefined;
  const known = info.traces.map((t) => t.name).join(", ") || "none";
  return `${info.rtype} has no trace "${name}" (its traces: ${known}${info.anyFileTrace ? ", or any file name in its directory" : ""})`;
}

/**
 * Whether a resource reaches FINISHED by itself, so that a run is over once it has: an
 * application does, a node does not, a `sim::Task` only when it has a duration.
 */
export function endsByItself(info: ResourceTypeInfo, valueOf: (name: string) => AttributeValue | undefined): boolean {
  if (info.rtype === "sim::Task") return Boolean(valueOf("duration"));
  return info.finishes;
}
