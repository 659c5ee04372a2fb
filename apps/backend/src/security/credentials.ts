import {
  CREDENTIAL_PLACEHOLDER,
  type AttributeConditionDoc,
  type AttributeValue,
  type ExperimentDocument,
  type Problem,
} from "@nepi/core";

/** What every procedure returns and what an export writes: core's one redaction rule. */
export { redactCredentials } from "@nepi/core";

/**
 * On save, a credential still holding the placeholder means "unchanged": keep the value saved
 * before for the same resource (guid and type) or the same attribute condition (group and
 * attribute), or drop it when there is none.
 */
export function mergeKeptCredentials(incoming: ExperimentDocument, saved: ExperimentDocument | undefined): ExperimentDocument {
  const before = new Map(saved?.resources.map((r) => [r.guid, r]) ?? []);
  const keptConditions = new Map(
    (saved?.attributeConditions ?? []).filter((c) => c.value !== CREDENTIAL_PLACEHOLDER).map((c) => [conditionKey(c), c.value]),
  );
  return mapPlaceholders(
    incoming,
    (guid, type, name) => {
      const old = before.get(guid);
      const value = old && old.type === type ? old.attributes[name] : undefined;
      return value === CREDENTIAL_PLACEHOLDER ? undefined : value;
    },
    (condition) => keptConditions.get(conditionKey(condition)),
  );
}

/**
 * On import, a placeholder is a credential the export left out: drop it (an attribute
 * condition without its value is dropped whole) and report it, so the user knows to enter it
 * again.
 */
export function stripMissingCredentials(doc: ExperimentDocument): { document: ExperimentDocument; missing: Problem[] } {
  const missing: Problem[] = [];
  const index = new Map(doc.resources.map((r, i) => [r.guid, i]));
  const document = mapPlaceholders(
    doc,
    (guid, _type, name) => {
      missing.push({
        path: `resources[${index.get(guid)}].attributes.${name}`,
        message: `credential "${name}" was not exported; enter it again before running`,
        code: "MISSING_CREDENTIAL",
        guid,
        severity: "warning",
      });
      return undefined;
    },
    (condition, i) => {
      missing.push({
        path: `attributeConditions[${i}].value`,
        message: `the value of "${condition.attribute}" set by this condition was not exported; the condition was dropped, add it again before running`,
        code: "MISSING_CREDENTIAL",
        severity: "warning",
      });
      return undefined;
    },
  );
  return { document, missing };
}

/** Which saved condition an incoming one is: the same attribute set on the same resources. */
function conditionKey(c: AttributeConditionDoc): string {
  return JSON.stringify([c.attribute, [...c.group].sort((a, b) => a - b)]);
}

/**
 * Replaces every placeholder of the document: in resources' attributes (undefined drops the
 * attribute) and in attribute conditions' values (undefined drops the condition).
 */
function mapPlaceholders(
  doc: ExperimentDocument,
  replaceAttribute: (guid: number, type: string, name: string) => AttributeValue | undefined,
  replaceCondition: (condition: AttributeConditionDoc, index: number) => AttributeValue | undefined,
): ExperimentDocument {
  let changed = false;
  const resources = doc.resources.map((r) => {
    const names = Object.keys(r.attributes).filter((n) => r.attributes[n] === CREDENTIAL_PLACEHOLDER);
    if (names.length === 0) return r;
    changed = true;
    const attributes = { ...r.attributes };
    for (const n of names) {
      const value = replaceAttribute(r.guid, r.type, n);
      if (value === undefined) delete attributes[n];
      else attributes[n] = value;
    }
    return { ...r, attributes };
  });
  const attributeConditions = doc.attributeConditions?.flatMap((c, i) => {
    if (c.value !== CREDENTIAL_PLACEHOLDER) return [c];
    changed = true;
    const value = replaceCondition(c, i);
    return value === undefined ? [] : [{ ...c, value }];
  });
  if (!changed) return doc;
  return { ...doc, resources, ...(attributeConditions ? { attributeConditions } : {}) };
}
