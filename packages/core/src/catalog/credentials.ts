import type { ResourceTypeInfo } from "../model/catalog-schema.js";
import type { AttributeConditionDoc, ExperimentDocument } from "../model/document.js";
import { CREDENTIAL_PLACEHOLDER } from "../model/run.js";
import { findAttribute } from "./attributes.js";
import { findResourceType } from "./registry.js";

/** How a resource type's metadata is found: core's catalog, or the catalog a client was sent. */
export type ResourceTypeLookup = (rtype: string) => ResourceTypeInfo | undefined;

/** True when the catalog flags attribute `name` of `rtype` as a credential (a secret). */
export function isCredentialAttribute(rtype: string, name: string, lookup: ResourceTypeLookup = findResourceType): boolean {
  const info = lookup(rtype);
  return !!info && !!findAttribute(info, name)?.flags.credential;
}

/**
 * True when an attribute condition sets a credential: the attribute is one on some resource of
 * its group. A group naming a resource the document does not hold (or of an unknown type)
 * cannot be checked, so its value is treated as a secret too.
 */
export function isCredentialCondition(
  doc: ExperimentDocument,
  condition: AttributeConditionDoc,
  lookup: ResourceTypeLookup = findResourceType,
): boolean {
  return condition.group.some((guid) => {
    const r = doc.resources.find((x) => x.guid === guid);
    return !r || !lookup(r.type) || isCredentialAttribute(r.type, condition.attribute, lookup);
  });
}

/**
 * The document with every credential value replaced by CREDENTIAL_PLACEHOLDER, wherever the
 * document carries attribute values: resources' attributes and attribute conditions. What
 * the server returns and exports, and what the designer writes to a file. Credentials are
 * write-only; the document is returned as is when it holds none.
 */
export function redactCredentials(doc: ExperimentDocument, lookup: ResourceTypeLookup = findResourceType): ExperimentDocument {
  let changed = false;
  const resources = doc.resources.map((r) => {
    const secret = Object.keys(r.attributes).filter(
      (name) => isCredentialAttribute(r.type, name, lookup) && r.attributes[name] !== CREDENTIAL_PLACEHOLDER,
    );
    if (secret.length === 0) return r;
    changed = true;
    const attributes = { ...r.attributes };
    for (const name of secret) attributes[name] = CREDENTIAL_PLACEHOLDER;
    return { ...r, attributes };
  });
  const attributeConditions = doc.attributeConditions?.map((c) => {
    if (c.value === CREDENTIAL_PLACEHOLDER || !isCredentialCondition(doc, c, lookup)) return c;
    changed = true;
    return { ...c, value: CREDENTIAL_PLACEHOLDER };
  });
  if (!changed) return doc;
  return { ...doc, resources, ...(attributeConditions ? { attributeConditions } : {}) };
}
