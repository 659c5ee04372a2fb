import type { AttributeDef, AttributeValue, ResourceTypeInfo } from "../model/catalog-schema.js";
import { NepiError } from "../model/errors.js";
import { formatTime, isTimeString, MAX_TIME_MS } from "../model/time.js";

export function findAttribute(info: ResourceTypeInfo, name: string): AttributeDef | undefined {
  return info.attributes.find((a) => a.name === name);
}

/** The attribute, or an error naming the resource and listing the type's attributes. */
export function getAttribute(info: ResourceTypeInfo, name: string, where: string, path?: string): AttributeDef {
  const def = findAttribute(info, name);
  if (!def) {
    throw new NepiError(
      "UNKNOWN_ATTRIBUTE",
      `${where}: ${info.rtype} has no attribute "${name}" (its attributes: ${info.attributes.map((a) => a.name).join(", ")})`,
      path,
    );
  }
  return def;
}

/** What a value of this attribute must look like, in words. */
export function describeExpected(def: AttributeDef): string {
  switch (def.type) {
    case "integer":
      return "an integer" + bounds(def);
    case "double":
      return "a number" + bounds(def);
    case "boolean":
      return "true or false";
    case "enum":
      return `one of ${(def.allowed ?? []).map((v) => JSON.stringify(v)).join(", ")}`;
    case "time":
      return `a time string such as 500ms, 2s, 1.5m, 1h, 10us, of at most ${formatTime(MAX_TIME_MS)}`;
    default:
      return "a string";
  }
}
function bounds(def: AttributeDef): string {
  if (def.min !== undefined && def.max !== undefined) return ` between ${def.min} and ${def.max}`;
  if (def.min !== undefined) return ` ≥ ${def.min}`;
  if (def.max !== undefined) return ` ≤ ${def.max}`;
  return "";
}

/** Why `value` is not valid for `def`, or undefined when it is. */
export function attributeValueProblem(def: AttributeDef, value: unknown): string | undefined {
  let ok: boolean;
  switch (def.type) {
    case "integer":
      ok = typeof value === "number" && Number.isInteger(value);
      break;
    case "double":
      ok = typeof value === "number" && Number.isFinite(value);
      break;
    case "boolean":
      ok = typeof value === "boolean";
      break;
    case "enum":
      ok = typeof value === "string" && (def.allowed ?? []).includes(value);
      break;
    case "time":
      // An empty time means "unset" (sim::Task's duration: run until stopped).
      ok = value === "" || isTimeString(value);
      break;
    default:
      ok = typeof value === "string";
  }
  if (ok && typeof value === "number") {
    if (def.min !== undefined && value < def.min) ok = false;
    if (def.max !== undefined && value > def.max) ok = false;
  }
  if (ok) return undefined;
  const shown = def.flags.credential ? "(hidden)" : JSON.stringify(value);
  return `expected ${describeExpected(def)}, got ${shown}`;
}

/**
 * Why `setWithConditions` cannot set this attribute, or undefined when it can: it sets it while
 * the run goes on, so a design attribute (read once at deploy) or a read-only one would change
 * nothing on the running resource.
 */
export function runTimeSetProblem(def: AttributeDef): string | undefined {
  if (def.flags.execReadOnly) return `attribute "${def.name}" is read-only (set by the resource itself)`;
  if (def.flags.design) return `attribute "${def.name}" is a design attribute: it cannot change while the run goes on`;
  return undefined;
}

/** Throws a BAD_VALUE error naming the resource, the attribute and what was expected. */
export function checkAttributeValue(def: AttributeDef, value: unknown, where: string, path?: string): AttributeValue {
  const problem = attributeValueProblem(def, value);
  if (problem) throw new NepiError("BAD_VALUE", `${where}: attribute "${def.name}": ${problem}`, path);
  return value as AttributeValue;
}
