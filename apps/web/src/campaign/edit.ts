import {
  attributeValueProblem,
  type AttributeDef,
  type AttributeValue,
  type Campaign,
  type CampaignParameter,
  type Metric,
} from "@nepi/core";

/** What a campaign starts with: three runs per point, no metric yet (the duration is offered first). */
export const NEW_CAMPAIGN: Campaign = { parameters: [], repetitions: { count: 3 }, metrics: [] };

/** The campaign with `param` swept: it replaces a sweep of the same attribute, or is added last. */
export function withSweep(campaign: Campaign | undefined, param: CampaignParameter): Campaign {
  const c = campaign ?? NEW_CAMPAIGN;
  const same = (p: CampaignParameter) => p.resource === param.resource && p.attribute === param.attribute;
  const parameters = c.parameters.some(same) ? c.parameters.map((p) => (same(p) ? param : p)) : [...c.parameters, param];
  return { ...c, parameters };
}

/** The values a sweep already gives an attribute, to edit them again. */
export function sweptValues(campaign: Campaign | undefined, resource: string, attribute: string): AttributeValue[] | undefined {
  return campaign?.parameters.find((p) => p.resource === resource && p.attribute === attribute)?.values;
}

export function formatValues(values: readonly AttributeValue[]): string {
  return values.map(String).join(", ");
}

/**
 * The values typed for a sweep, comma-separated, as the attribute's type has them (numbers for
 * numbers, true/false for a boolean); an empty list or a value the attribute refuses is an error.
 */
export function parseSweepValues(def: AttributeDef, text: string): { values: AttributeValue[] } | { error: string } {
  const parts = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (parts.length === 0) return { error: "expected at least one value, comma-separated" };
  const values: AttributeValue[] = [];
  for (const part of parts) {
    let v: AttributeValue = part;
    if (def.type === "integer" || def.type === "double") v = Number(part);
    else if (def.type === "boolean") v = part === "true" ? true : part === "false" ? false : part;
    if (Number.isNaN(v)) return { error: `"${part}" is not a number` };
    const problem = attributeValueProblem(def, v);
    if (problem) return { error: `${part}: ${problem}` };
    values.push(v);
  }
  return { values };
}

/** A metric to start with: how long the resource ran (needs no trace). */
export function newMetric(resource: string, taken: readonly Metric[]): Metric {
  let name = "duration";
  for (let i = 2; taken.some((m) => m.name === name); i++) name = `duration${i}`;
  return { name, resource, extract: "duration" };
}
