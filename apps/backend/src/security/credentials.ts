import {
  CREDENTIAL_PLACEHOLDER,
  findAttribute,
  findResourceType,
  type ExperimentDocument,
  type Problem,
} from "@nepi/core";

/** True when the catalog flags `name` of `rtype` as a credential (a secret). */
export function isCredential(rtype: string, name: string): boolean {
  const info = findResourceType(rtype);
  return !!info && !!findAttribute(info, name)?.flags.credential;
}

/**
 * The document with every credential value replaced by the placeholder: what any procedure
 * returns and what an export writes. Credentials are write-only.
 */
export function redactCredentials(doc: ExperimentDocument): ExperimentDocument {
  let changed = false;
  const resources = doc.resources.map((r) => {
    let attributes = r.attributes;
    for (const name of Object.keys(r.attributes)) {
      if (isCredential(r.type, name)) {
        if (attributes === r.attributes) attributes = { ...r.attributes };
        attributes[name] = CREDENTIAL_PLACEHOLDER;
        changed = true;
      }
    }
    return attributes === r.attributes ? r : { ...r, attributes };
  });
  return changed ? { ...doc, resources } : doc;
}

/**
 * On save, a credential still holding the placeholder means "unchanged": keep the value saved
 * before for the same resource (guid and type), or drop it when there is none.
 */
export function mergeKeptCredentials(incoming: ExperimentDocument, saved: ExperimentDocument | undefined): ExperimentDocument {
  const before = new Map(saved?.resources.map((r) => [r.guid, r]) ?? []);
  return mapPlaceholders(incoming, (guid, type, name) => {
    const old = before.get(guid);
    const value = old && old.type === type ? old.attributes[name] : undefined;
    return value === CREDENTIAL_PLACEHOLDER ? undefined : value;
  });
}

/**
 * On import, a placeholder is a credential the export left out: drop it and report it, so the
 * user knows to enter it again.
 */
export function stripMissingCredentials(doc: ExperimentDocument): { document: ExperimentDocument; missing: Problem[] } {
  const missing: Problem[] = [];
  const index = new Map(doc.resources.map((r, i) => [r.guid, i]));
  const document = mapPlaceholders(doc, (guid, _type, name) => {
    missing.push({
      path: `resources[${index.get(guid)}].attributes.${name}`,
      message: `credential "${name}" was not exported; enter it again before running`,
      code: "MISSING_CREDENTIAL",
      guid,
      severity: "warning",
    });
    return undefined;
  });
  return { document, missing };
}

function mapPlaceholders(
  doc: ExperimentDocument,
  replace: (guid: number, type: string, name: string) => string | number | boolean | undefined,
): ExperimentDocument {
  let changed = false;
  const resources = doc.resources.map((r) => {
    const names = Object.keys(r.attributes).filter((n) => r.attributes[n] === CREDENTIAL_PLACEHOLDER);
    if (names.length === 0) return r;
    changed = true;
    const attributes = { ...r.attributes };
    for (const n of names) {
      const value = replace(r.guid, r.type, n);
      if (value === undefined) delete attributes[n];
      else attributes[n] = value;
    }
    return { ...r, attributes };
  });
  return changed ? { ...doc, resources } : doc;
}

/** Every credential value of a document (to scan logs and responses for leaks in tests). */
export function credentialValues(doc: ExperimentDocument): string[] {
  const out: string[] = [];
  for (const r of doc.resources) {
    for (const [name, value] of Object.entries(r.attributes)) {
      if (isCredential(r.type, name) && typeof value === "string" && value !== CREDENTIAL_PLACEHOLDER && value) out.push(value);
    }
  }
  return out;
}
