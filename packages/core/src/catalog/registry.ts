import type { ResourceTypeInfo } from "../model/catalog-schema.js";
import { NepiError } from "../model/errors.js";
import type { ResourceManagerFactory } from "../engine/resource-manager.js";
import { RESOURCE_TYPES } from "./types/index.js";

/**
 * The catalog: every resource type's metadata (browser-safe, plain JSON) and the managers that
 * can run here. `@nepi/core` registers the `sim::*` managers; `@nepi/core/node` adds `linux::*`.
 */
const TYPES = new Map<string, ResourceTypeInfo>();
const MANAGERS = new Map<string, ResourceManagerFactory>();

for (const t of RESOURCE_TYPES) TYPES.set(t.rtype, t);

/** The resource types: rtype, help, attributes, traces, roles, connection rules and look. */
export function listResourceTypes(): ResourceTypeInfo[] {
  return [...TYPES.values()];
}

export function findResourceType(rtype: string): ResourceTypeInfo | undefined {
  return TYPES.get(rtype);
}

/** The type, or an error that lists the known types. */
export function getResourceType(rtype: string, path = "type"): ResourceTypeInfo {
  const t = TYPES.get(rtype);
  if (!t) {
    throw new NepiError(
      "UNKNOWN_RTYPE",
      `${path}: unknown resource type "${rtype}" (known types: ${[...TYPES.keys()].join(", ")})`,
      path,
    );
  }
  return t;
}

/** Adds (or replaces) a resource type's metadata. */
export function defineResourceType(info: ResourceTypeInfo): void {
  TYPES.set(info.rtype, info);
}

/** Makes a type runnable in this process. */
export function registerResourceManager(rtype: string, factory: ResourceManagerFactory): void {
  getResourceType(rtype);
  MANAGERS.set(rtype, factory);
}

export function getResourceManagerFactory(rtype: string): ResourceManagerFactory {
  const f = MANAGERS.get(rtype);
  if (!f) {
    const info = getResourceType(rtype);
    const hint = info.platform === "node" ? ` (import "@nepi/core/node" to run ${info.backend}::* resources)` : "";
    throw new NepiError("NO_MANAGER", `${rtype} cannot run in this process${hint}`);
  }
  return f;
}
