import { getResourceType, findResourceType } from "../catalog/registry.js";
import { HOST_ROLE, hasRole } from "../catalog/roles.js";
import { ruleToward, valuesWithDefaults } from "../catalog/rules.js";
import type { ExperimentDocument } from "../model/document.js";
import { documentHost } from "../resources/host-settings.js";
import { neededPackages } from "../resources/linux/scripts.js";
import type { HostSettings } from "../transport/pool.js";

/** A Debian package a host must have, and which of the resources on it need it. */
export interface NeededPackage {
  name: string;
  guids: number[];
  /** One of those resources runs with sudo: the deploy may install it with sudo. */
  sudo: boolean;
}

/** What the design will need of one host-role resource, read from the document alone. */
export interface HostNeeds {
  guid: number;
  label?: string;
  settings: HostSettings;
  /** Resources on it that run with sudo. */
  sudo: number[];
  packages: NeededPackage[];
  /** Values that cannot be read (a `depends` that is not a package list), by guid. */
  unreadable: Array<{ guid: number; message: string }>;
}

/**
 * Every host of a document (a resource whose type has the `host` role) and what the resources
 * that run on it (connected through a rule on that role) will need there: sudo, packages.
 */
export function hostNeeds(doc: ExperimentDocument): HostNeeds[] {
  const byGuid = new Map(doc.resources.map((r) => [r.guid, r]));
  const neighbours = new Map<number, number[]>();
  for (const c of doc.connections) {
    for (const [a, b] of [
      [c.source, c.target],
      [c.target, c.source],
    ] as const) {
      let list = neighbours.get(a);
      if (!list) neighbours.set(a, (list = []));
      list.push(b);
    }
  }
  const hosts: HostNeeds[] = [];
  for (const r of doc.resources) {
    const info = findResourceType(r.type);
    if (!hasRole(info, HOST_ROLE)) continue;
    const needs: HostNeeds = {
      guid: r.guid,
      settings: documentHost(doc, r.guid).settings,
      sudo: [],
      packages: [],
      unreadable: [],
    };
    if (r.label) needs.label = r.label;
    const packages = new Map<string, NeededPackage>();
    for (const g of new Set(neighbours.get(r.guid) ?? [])) {
      const other = byGuid.get(g);
      const otherInfo = other && findResourceType(other.type);
      if (!other || !otherInfo || ruleToward(otherInfo, info!)?.role !== HOST_ROLE) continue;
      const get = valuesWithDefaults(otherInfo, other.attributes);
      const sudo = get("sudo") === true;
      if (sudo) needs.sudo.push(g);
      let names: string[];
      try {
        names = neededPackages(getResourceType(other.type), get);
      } catch (e) {
        needs.unreadable.push({ guid: g, message: (e as Error).message });
        continue;
      }
      for (const name of names) {
        let p = packages.get(name);
        if (!p) packages.set(name, (p = { name, guids: [], sudo: false }));
        p.guids.push(g);
        p.sudo ||= sudo;
      }
    }
    needs.packages = [...packages.values()];
    hosts.push(needs);
  }
  return hosts;
}
