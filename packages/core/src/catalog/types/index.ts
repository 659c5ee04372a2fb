import type { ResourceTypeInfo } from "../../model/catalog-schema.js";
import * as ALL from "./all.js";

export * from "./all.js";

/** Every resource type (by rtype within the palette's groups). A new type adds one line to `all.ts`: see CONTRIBUTING.md. */
export const RESOURCE_TYPES: readonly ResourceTypeInfo[] = Object.values(ALL).sort((a, b) => a.rtype.localeCompare(b.rtype));
