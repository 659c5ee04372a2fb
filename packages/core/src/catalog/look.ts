import type { AttributeValue, ChartParser, ResourceTypeInfo } from "../model/catalog-schema.js";

const PLACEHOLDER = /\{([A-Za-z0-9_]+)\}/g;

/** The attributes a type's summary line names. */
export function summaryAttributes(info: ResourceTypeInfo): string[] {
  return [...(info.look.summary ?? "").matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/**
 * A resource's summary line, from its type's `look.summary` ("ping {target}" → "ping 10.0.0.1"),
 * or undefined when the type has none or none of the attributes it names has a value.
 */
export function summaryOf(info: ResourceTypeInfo, valueOf: (name: string) => AttributeValue | undefined): string | undefined {
  const template = info.look.summary;
  if (!template) return undefined;
  let anyValue = false;
  const line = template.replace(PLACEHOLDER, (_, name: string) => {
    const v = valueOf(name);
    if (v === undefined || v === "") return "";
    anyValue = true;
    return String(v);
  });
  return anyValue ? line.replace(/\s+/g, " ").trim() : undefined;
}

/** The parser whose chart a trace of this type feeds, or undefined when it has no chart. */
export function chartOf(info: ResourceTypeInfo | undefined, trace: string): ChartParser | undefined {
  return info?.charts.find((c) => c.trace === trace)?.parser;
}
