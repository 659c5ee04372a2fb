import type { AttributeValue } from "../model/catalog-schema.js";
import type { Campaign } from "../model/campaign.js";
import type { ExperimentDocument } from "../model/document.js";
import type { CampaignPoint } from "../model/campaign-run.js";

export const parameterKey = (p: { resource: string; attribute: string }): string => `${p.resource}.${p.attribute}`;

/** The cross product of every parameter's values, the first parameter varying slowest. */
export function campaignPoints(campaign: Campaign): CampaignPoint[] {
  let combos: Record<string, AttributeValue>[] = [{}];
  for (const p of campaign.parameters) {
    combos = combos.flatMap((c) => p.values.map((v) => ({ ...c, [parameterKey(p)]: v })));
  }
  return combos.map((values, i) => ({ point: i + 1, values }));
}

/** The document as run at a point: each swept attribute set on the resource of that label. */
export function documentAtPoint(doc: ExperimentDocument, campaign: Campaign, point: CampaignPoint): ExperimentDocument {
  const resources = doc.resources.map((r) => {
    const set = campaign.parameters.filter((p) => p.resource === r.label);
    if (set.length === 0) return r;
    const attributes = { ...r.attributes };
    for (const p of set) attributes[p.attribute] = point.values[parameterKey(p)]!;
    return { ...r, attributes };
  });
  return { ...doc, resources };
}
