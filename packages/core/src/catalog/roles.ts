import type { ResourceTypeInfo } from "../model/catalog-schema.js";

/** The role of a machine other resources run on (a Linux node): it lends them `ctx.host()`. */
export const HOST_ROLE = "host";

/** The role of a machine network-namespace hosts and switches are built on (a Linux node). */
export const MACHINE_ROLE = "machine";

/** The role of what a network link joins: a namespace host or a switch. */
export const NET_ENDPOINT_ROLE = "netEndpoint";

export function hasRole(info: ResourceTypeInfo | undefined, role: string): boolean {
  return info?.roles.includes(role) ?? false;
}
