import type { ExperimentDocument } from "../model/document.js";
import type { Problem } from "../model/errors.js";
import { attributeValueProblem, findAttribute } from "../catalog/attributes.js";
import { findResourceType } from "../catalog/registry.js";
import { traceProblem } from "../catalog/rules.js";

/**
 * The problems of a document's campaign that its shape cannot tell: resources named by a label
 * that exists (once), attributes they have, values valid for them, unique metric names, the
 * repetitions' metric declared, traces the resource has and records.
 */
export function campaignProblems(doc: ExperimentDocument): Problem[] {
  const campaign = doc.campaign;
  if (!campaign) return [];
  const problems: Problem[] = [];
  const add = (path: string, message: string, code: string) => problems.push({ path, message, code, severity: "error" });
  const byLabel = (label: string, at: string) => {
    const found = doc.resources.filter((r) => r?.label === label);
    if (found.length !== 1) {
      add(
        at,
        found.length === 0 ? `no resource is labelled "${label}"` : `${found.length} resources are labelled "${label}"`,
        "UNKNOWN_LABEL",
      );
      return undefined;
    }
    const info = findResourceType(found[0]!.type);
    return info ? { resource: found[0]!, info } : undefined;
  };

  campaign.parameters.forEach((p, i) => {
    const at = `campaign.parameters[${i}]`;
    const target = byLabel(p.resource, `${at}.resource`);
    if (!target) return;
    const def = findAttribute(target.info, p.attribute);
    if (!def) {
      add(`${at}.attribute`, `${target.info.rtype} "${p.resource}" has no attribute "${p.attribute}"`, "UNKNOWN_ATTRIBUTE");
      return;
    }
    p.values.forEach((v, k) => {
      const problem = attributeValueProblem(def, v);
      if (problem) add(`${at}.values[${k}]`, problem, "BAD_VALUE");
    });
  });

  const names = new Set<string>();
  campaign.metrics.forEach((m, i) => {
    const at = `campaign.metrics[${i}]`;
    if (names.has(m.name)) add(`${at}.name`, `metric "${m.name}" is declared twice`, "DUPLICATE_METRIC");
    names.add(m.name);
    const target = byLabel(m.resource, `${at}.resource`);
    if (!target || m.trace === undefined) return;
    const problem = traceProblem(target.info, m.trace);
    if (problem) add(`${at}.trace`, problem, "UNKNOWN_TRACE");
    else if (!target.resource.traces.includes(m.trace))
      add(`${at}.trace`, `trace "${m.trace}" of "${m.resource}" is not enabled: enable it to read the metric`, "UNKNOWN_TRACE");
  });
  const r = campaign.repetitions;
  if ("metric" in r && !names.has(r.metric))
    add(
      "campaign.repetitions.metric",
      `"${r.metric}" is not a declared metric (declared: ${[...names].join(", ") || "none"})`,
      "UNKNOWN_METRIC",
    );
  return problems;
}
