import type { ResourceTypeInfo } from "../model/catalog-schema.js";

/** The role of a machine other resources run on (a Linux node): it lends them `ctx.host()`. */
export const HOST_ROLE = "host";

export function hasRole(info: ResourceTypeInfo | undefined, role: string): boolean {
  return info?.roles.includes(role) ?? false;
}
