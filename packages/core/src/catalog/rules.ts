import type { AttributeValue, ConnectionRule, ResourceTypeInfo } from "../model/catalog-schema.js";
import { findAttribute } from "./attributes.js";
import type { ResourceState } from "../model/states.js";

/** A resource's attribute values: those set, else the type's defaults. */
export function valuesWithDefaults(
  info: ResourceTypeInfo,
  attributes: Readonly<Record<string, AttributeValue | undefined>>,
): (name: string) => AttributeValue | undefined {
  return (name) => attributes[name] ?? findAttribute(info, name)?.default;
}

/** Whether `rule` is about resources of type `other` (they have its role). */
export function appliesTo(rule: ConnectionRule, other: ResourceTypeInfo): boolean {
  return other.roles.includes(rule.role);
}

/** The rule of `info` about linking to a resource of type `other`, or undefined. */
export function ruleToward(info: ResourceTypeInfo, other: ResourceTypeInfo): ConnectionRule | undefined {
  return info.connections.find((c) => appliesTo(c, other));
}

/**
 * The deploy-order rule: the state a connected `other` must reach before a resource of type
 * `info` deploys (an application waits for its node to be READY), or undefined.
 */
export function deployAfter(info: ResourceTypeInfo, other: ResourceTypeInfo): ResourceState | undefined {
  return info.connections.find((c) => c.deployAfter !== undefined && appliesTo(c, other))?.deployAfter;
}

/** Whether a type deploys after some connected resource at all (most do not: a quick test). */
export function hasDeployOrder(info: ResourceTypeInfo): boolean {
  return info.connections.some((c) => c.deployAfter !== undefined);
}

/** Required attributes that have no value (an empty string counts as none). */
export function missingRequiredAttributes(
  info: ResourceTypeInfo,
  valueOf: (name: string) => AttributeValue | undefined,
): string[] {
  return info.attributes
    .filter((a) => a.required && (valueOf(a.name) === undefined || valueOf(a.name) === ""))
    .map((a) => a.name);
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
 * Whether a resource reaches FINISHED by itself, so that a run is over once it has: as its type's
 * `finishes` says (an application always, a node never, a `sim::Task` when it has a duration).
 */
export function endsByItself(info: ResourceTypeInfo, valueOf: (name: string) => AttributeValue | undefined): boolean {
  const f = info.finishes;
  if (f === "always") return true;
  if (f === "never") return false;
  const v = valueOf(f.whenSet);
  return v !== undefined && v !== "";
}
