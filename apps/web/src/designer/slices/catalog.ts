import { listResourceTypes, type ResourceTypeInfo } from "@nepi/core";
import type { DesignSlice } from "./state";

/** The resource types by rtype: core's catalog until the backend's `catalog.list` answers. */
export interface CatalogSlice {
  catalog: Record<string, ResourceTypeInfo>;
  setCatalog(types: ResourceTypeInfo[]): void;
}

function catalogOf(types: ResourceTypeInfo[]): Record<string, ResourceTypeInfo> {
  return Object.fromEntries(types.map((t) => [t.rtype, t]));
}

export const createCatalogSlice: DesignSlice<CatalogSlice> = (set, get) => ({
  catalog: catalogOf(listResourceTypes()),
  setCatalog(types) {
    if (!types.length) return;
    set({ catalog: catalogOf(types) });
    // Which types are drawn as edges comes with the catalog.
    get().refreshEdges();
  },
});
