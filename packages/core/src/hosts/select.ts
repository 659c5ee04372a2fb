import { findResourceType } from "../catalog/registry.js";
import { hasRole, HOST_ROLE } from "../catalog/roles.js";
import type { ExperimentDocument, ResourceDoc } from "../model/document.js";
import { NepiError } from "../model/errors.js";
import type { HostSelector } from "../model/hosts.js";
import type { ResourceTypeInfo } from "../model/catalog-schema.js";

/** A machine of a design: a resource whose type has the `host` role. */
export interface DesignHost {
  guid: number;
  /** Its label, or `guid N` when it has none: what a person picks it by. */
  label: string;
  resource: ResourceDoc;
}

type Resources = Pick<ExperimentDocument, "resources">;
/** Where a resource type's definition is read (core's catalog by default; the web passes the one the backend sent). */
type TypeOf = (rtype: string) => ResourceTypeInfo | undefined;

const labelOf = (r: ResourceDoc): string => r.label || `guid ${r.guid}`;

/** Every host of the design, in the document's order. */
export function designHosts(doc: Resources, typeOf: TypeOf = findResourceType): DesignHost[] {
  return doc.resources
    .filter((r) => hasRole(typeOf(r.type), HOST_ROLE))
    .map((r) => ({ guid: r.guid, label: labelOf(r), resource: r }));
}

/**
 * The hosts that `selectors` name (labels, or guids), in the document's order; every host of the
 * design when there is none. A name that is no host of the design is an error naming it, at
 * `hosts[i]` of the request.
 */
export function selectHosts(doc: Resources, selectors?: readonly HostSelector[]): DesignHost[] {
  const hosts = designHosts(doc);
  if (!selectors) return hosts;
  const chosen = new Set<number>();
  selectors.forEach((s, i) => {
    const path = `hosts[${i}]`;
    const matches = hosts.filter((h) => (typeof s === "number" ? h.guid === s : h.label === s || h.resource.label === s));
    if (matches.length === 0) {
      const other = doc.resources.find((r) => (typeof s === "number" ? r.guid === s : r.label === s));
      const what = typeof s === "number" ? `guid ${s}` : `"${s}"`;
      const known = hosts.length ? `its hosts: ${hosts.map((h) => h.label).join(", ")}` : "it has no host";
      const message = other
        ? `${path}: ${what} is a ${other.type}, not a host (${known})`
        : `${path}: no host ${typeof s === "number" ? "with" : "labelled"} ${what} in the design (${known})`;
      throw new NepiError("BAD_VALUE", message, path);
    }
    for (const h of matches) chosen.add(h.guid);
  });
  return hosts.filter((h) => chosen.has(h.guid));
}
