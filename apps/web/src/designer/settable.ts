import type { AttributeDef, AttributeValue, ResourceTypeInfo } from "@nepi/core";

/**
 * The attributes a condition may set during the run: not design-only (fixed once deployed), not
 * execReadOnly (reported by the resource itself), and not credentials (never shown back nor exported).
 */
export function settableAttributes(info: ResourceTypeInfo): AttributeDef[] {
  return info.attributes.filter((a) => !a.flags.design && !a.flags.execReadOnly && !a.flags.credential);
}

/** A valid value to start an attribute condition with: the default, else the simplest of its type. */
export function startingValue(def: AttributeDef): AttributeValue {
  if (def.default !== undefined) return def.default;
  switch (def.type) {
    case "boolean":
      return false;
    case "enum":
      return def.allowed?.[0] ?? "";
    case "integer":
    case "double":
      return def.min ?? 0;
    default:
      return "";
  }
}
