import type { ResourceTypeInfo } from "../model/catalog-schema.js";
import { formatPath, type Problem } from "../model/errors.js";
import {
  AttributeConditionDocSchema,
  ConditionDocSchema,
  ConnectionDocSchema,
  ExperimentDocumentSchema,
  ResourceDocSchema,
  type ExperimentDocument,
} from "../model/document.js";
import { findAttribute, attributeValueProblem, runTimeSetProblem } from "../catalog/attributes.js";
import { findResourceType, listResourceTypes } from "../catalog/registry.js";
import { missingRequiredAttributes, traceProblem } from "../catalog/rules.js";
import { linkProblem, missingLinks, type LinkView } from "../catalog/links.js";
import { isWaitable, type ResourceState } from "../model/states.js";
import { blockedWait, startsTogether } from "./design-rules.js";
import { documentView } from "./design-view.js";
import { campaignProblems } from "../campaign/validate.js";

/**
 * Every problem of an experiment document, each with the JSON path of the offending field:
 * its shape (the zod schema), unknown types and attributes, bad values, dangling guids,
 * forbidden or missing connections, missing required attributes, condition cycles and waits
 * for an end that never comes.
 * The designer shows this list live; the backend and the CLI refuse a document that has any.
 */
export function validateDocument(input: unknown): Problem[] {
  const parsed = ExperimentDocumentSchema.safeParse(input);
  if (parsed.success) return semanticProblems(parsed.data as ExperimentDocument);
  const shape: Problem[] = parsed.error.issues.map((issue) => ({
    path: formatPath(issue.path) || "(document)",
    message: issue.message,
    code: "INVALID_DOCUMENT",
    severity: "error",
  }));
  // One bad field (an empty name, say) must not hide the rest: check what is well formed too.
  const partial = wellFormedParts(input);
  if (!partial) return shape;
  const seen = new Set(shape.map((p) => p.path));
  // Guids of malformed resources still exist: references to them are not "unknown".
  const rawResources = (input as { resources?: unknown }).resources;
  const malformed = Array.isArray(rawResources)
    ? rawResources.flatMap((r: { guid?: unknown } | null | undefined, i) =>
        partial.resources[i] === undefined && typeof r?.guid === "number" ? [{ guid: r.guid as number, index: i }] : [],
      )
    : [];
  return [...shape, ...semanticProblems(partial, malformed).filter((p) => !seen.has(p.path))];
}

/** The items of a malformed document that are well formed, at their own indexes (holes elsewhere). */
function wellFormedParts(input: unknown): ExperimentDocument | undefined {
  if (typeof input !== "object" || input === null) return undefined;
  const raw = input as Record<string, unknown>;
  const pick = <T>(value: unknown, schema: { safeParse(v: unknown): { success: boolean; data?: T } }): T[] =>
    Array.isArray(value) ? value.map((v) => schema.safeParse(v)).map((r) => (r.success ? r.data! : (undefined as T))) : [];
  return {
    format: "nepi-experiment@1",
    name: "(partial)",
    resources: pick(raw.resources, ResourceDocSchema),
    connections: pick(raw.connections, ConnectionDocSchema),
    conditions: pick(raw.conditions, ConditionDocSchema),
    attributeConditions: pick(raw.attributeConditions, AttributeConditionDocSchema),
  } as ExperimentDocument;
}

function semanticProblems(doc: ExperimentDocument, malformed: { guid: number; index: number }[] = []): Problem[] {
  const problems: Problem[] = [];
  const byGuid = new Map<number, { index: number; info?: ResourceTypeInfo }>(malformed.map((m) => [m.guid, { index: m.index }]));
  const add = (path: string, message: string, code: string, guid?: number) =>
    problems.push({ path, message, code, severity: "error", ...(guid !== undefined ? { guid } : {}) });

  doc.resources.forEach((r, i) => {
    if (!r) return;
    const at = `resources[${i}]`;
    if (byGuid.has(r.guid))
      add(`${at}.guid`, `guid ${r.guid} is used twice (also resources[${byGuid.get(r.guid)!.index}])`, "DUPLICATE_GUID", r.guid);
    const info = findResourceType(r.type);
    byGuid.set(r.guid, { index: i, info });
    if (!info) {
      add(
        `${at}.type`,
        `unknown resource type "${r.type}" (known types: ${listResourceTypes()
          .map((t) => t.rtype)
          .join(", ")})`,
        "UNKNOWN_RTYPE",
        r.guid,
      );
      return;
    }
    for (const [name, value] of Object.entries(r.attributes)) {
      const def = findAttribute(info, name);
      if (!def) {
        add(
          `${at}.attributes.${name}`,
          `${info.rtype} has no attribute "${name}" (its attributes: ${info.attributes.map((a) => a.name).join(", ")})`,
          "UNKNOWN_ATTRIBUTE",
          r.guid,
        );
        continue;
      }
      const problem = attributeValueProblem(def, value);
      if (problem) add(`${at}.attributes.${name}`, problem, "BAD_VALUE", r.guid);
    }
    for (const name of missingRequiredAttributes(info, (n) => r.attributes[n] ?? findAttribute(info, n)?.default)) {
      add(`${at}.attributes.${name}`, `required: ${info.rtype} needs a value for "${name}"`, "REQUIRED", r.guid);
    }
    r.traces.forEach((t, k) => {
      const problem = traceProblem(info, t);
      if (problem) add(`${at}.traces[${k}]`, problem, "UNKNOWN_TRACE", r.guid);
    });
  });

  const neighbours = new Map<number, number[]>();
  const links: LinkView = {
    info: (g) => byGuid.get(g)?.info,
    connections: (g) => neighbours.get(g) ?? [],
    name: (g) => `${byGuid.get(g)?.info?.rtype ?? "resource"} (guid ${g})`,
  };
  doc.connections.forEach((c, i) => {
    if (!c) return;
    const at = `connections[${i}]`;
    const a = byGuid.get(c.source);
    const b = byGuid.get(c.target);
    if (!a) add(`${at}.source`, `unknown guid ${c.source}`, "UNKNOWN_GUID");
    if (!b) add(`${at}.target`, `unknown guid ${c.target}`, "UNKNOWN_GUID");
    if (!a || !b || !a.info || !b.info) return;
    const problem = linkProblem(links, c.source, c.target);
    if (problem?.code === "DUPLICATE") return;
    if (problem) {
      add(at, problem.message, "BAD_CONNECTION", c.source);
      return;
    }
    for (const [x, y] of [
      [c.source, c.target],
      [c.target, c.source],
    ] as const) {
      const list = neighbours.get(x) ?? [];
      list.push(y);
      neighbours.set(x, list);
    }
  });

  // Each type's minimum connections (an application runs on exactly one host).
  for (const [guid, entry] of byGuid) {
    for (const message of missingLinks(links, guid)) add(`resources[${entry.index}]`, message, "MISSING_CONNECTION", guid);
  }

  let conditionsOk = true;
  const checkGroup = (guids: number[], at: string) =>
    guids.forEach((g, k) => {
      if (!byGuid.has(g)) {
        conditionsOk = false;
        add(`${at}[${k}]`, `unknown guid ${g}`, "UNKNOWN_GUID");
      }
    });
  const checkCondition = (c: { group: number[]; after: number[]; state: string }, at: string) => {
    checkGroup(c.group, `${at}.group`);
    checkGroup(c.after, `${at}.after`);
    const self = c.group.find((g) => c.after.includes(g));
    if (self !== undefined) {
      conditionsOk = false;
      add(`${at}.after`, `guid ${self} cannot wait on itself`, "BAD_CONDITION", self);
    }
    if (!isWaitable(c.state as ResourceState)) {
      conditionsOk = false;
      add(`${at}.state`, `"${c.state}" cannot be waited for`, "BAD_CONDITION", c.group[0]);
    }
  };
  // A trace-match condition reads a trace every awaited resource has and records.
  const checkConditionTrace = (trace: string, after: number[], at: string) => {
    for (const g of after) {
      const entry = byGuid.get(g);
      if (!entry?.info) continue;
      const problem = traceProblem(entry.info, trace);
      if (problem) add(at, `guid ${g}: ${problem}`, "UNKNOWN_TRACE", g);
      else if (!doc.resources[entry.index]?.traces.includes(trace)) {
        add(
          at,
          `trace "${trace}" of ${entry.info.rtype} (guid ${g}) is not enabled: enable it on the resource to wait on it`,
          "BAD_CONDITION",
          g,
        );
      }
    }
  };
  doc.conditions.forEach((c, i) => {
    if (!c) return;
    checkCondition(c, `conditions[${i}]`);
    if (c.trace !== undefined) checkConditionTrace(c.trace, c.after, `conditions[${i}].trace`);
  });
  (doc.attributeConditions ?? []).forEach((c, i) => {
    if (!c) return;
    const at = `attributeConditions[${i}]`;
    checkCondition(c, at);
    for (const g of c.group) {
      const info = byGuid.get(g)?.info;
      if (!info) continue;
      const def = findAttribute(info, c.attribute);
      if (!def) add(`${at}.attribute`, `${info.rtype} (guid ${g}) has no attribute "${c.attribute}"`, "UNKNOWN_ATTRIBUTE", g);
      else {
        const fixed = runTimeSetProblem(def);
        if (fixed) add(`${at}.attribute`, `${info.rtype} (guid ${g}): ${fixed}`, "READ_ONLY", g);
        const problem = attributeValueProblem(def, c.value);
        if (problem) add(`${at}.value`, problem, "BAD_VALUE", g);
      }
    }
  });

  problems.push(...campaignProblems(doc));

  const complete = [...doc.resources, ...doc.connections, ...doc.conditions].every(Boolean);
  if (conditionsOk && complete && problems.length === 0) {
    // The very rules deploy() applies, over the document: they cannot disagree.
    const view = documentView(doc);
    const blocked = blockedWait(
      view,
      startsTogether(
        view,
        doc.resources.map((r) => r.guid),
      ),
    );
    if (blocked) {
      add(
        blocked.condition !== undefined ? `conditions[${blocked.condition}]` : "conditions",
        blocked.message,
        blocked.code,
        blocked.guid,
      );
    }
  }
  return problems;
}
