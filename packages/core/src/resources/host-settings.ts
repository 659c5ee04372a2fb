import type { AttributeValue } from "../model/catalog-schema.js";
import type { ExperimentDocument } from "../model/document.js";
import { NepiError } from "../model/errors.js";
import { HOST_ROLE, MACHINE_ROLE, hasRole } from "../catalog/roles.js";
import { documentView } from "../engine/design-view.js";
import type { HostSettings } from "../transport/pool.js";

/** How a host type is reached, from its attribute values (defaults applied). */
export type HostSettingsOf = (get: (name: string) => AttributeValue | undefined) => HostSettings;

const SETTINGS = new Map<string, HostSettingsOf>();

/** A host type's manager says, once, how its attributes become transport settings. */
export function registerHostSettings(rtype: string, settingsOf: HostSettingsOf): void {
  SETTINGS.set(rtype, settingsOf);
}

export interface DocumentHost {
  /** The host resource (the one asked for, or the host it runs on). */
  guid: number;
  /** For people: its label, or its type and guid. */
  label: string;
  settings: HostSettings;
}

/**
 * The machine resource `guid` of a document is (a resource with the `host` role) or runs on
 * (its one `host` connection), and how to reach it — from the document alone, credentials
 * included, so only the backend calls it with a stored document.
 */
export function documentHost(doc: ExperimentDocument, guid: number): DocumentHost {
  const view = documentView(doc);
  const info = view.info(guid);
  if (!doc.resources.some((r) => r?.guid === guid))
    throw new NepiError("UNKNOWN_GUID", `guid: experiment "${doc.name}" has no resource ${guid}`, "guid");
  let hostGuid = hasRole(info, HOST_ROLE) ? guid : view.connections(guid).find((g) => hasRole(view.info(g), HOST_ROLE));
  if (hostGuid === undefined)
    throw new NepiError(
      "BAD_CONNECTION",
      `guid: resource ${guid} (${info?.rtype ?? "unknown type"}) is not a host and runs on none`,
      "guid",
    );
  const label = (g: number) => doc.resources.find((r) => r?.guid === g)?.label || `${view.info(g)!.rtype} #${g}`;
  // An emulated host is a namespace on a machine: it is reached as its machine is (none: this one).
  if (view.info(hostGuid)!.connections.some((c) => c.role === MACHINE_ROLE)) {
    const machine = view.connections(hostGuid).find((g) => hasRole(view.info(g), MACHINE_ROLE));
    if (machine === undefined) return { guid: hostGuid, label: label(hostGuid), settings: { host: "localhost" } };
    hostGuid = machine;
  }
  const hostInfo = view.info(hostGuid)!;
  const settingsOf = SETTINGS.get(hostInfo.rtype);
  if (!settingsOf)
    throw new NepiError(
      "NO_MANAGER",
      `guid: ${hostInfo.rtype} hosts cannot be reached from this process (import "@nepi/core/node")`,
      "guid",
    );
  return {
    guid: hostGuid,
    label: label(hostGuid),
    settings: settingsOf((name) => view.value(hostGuid, name)),
  };
}
