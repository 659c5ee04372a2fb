import { CREDENTIAL_PLACEHOLDER, ExperimentDocumentSchema, formatPath, redactCredentials as redactDocumentCredentials, type ExperimentDocument } from "@nepi/core";
import { errorMessage, trpc } from "../api/trpc";
import { useDesignStore, type ExperimentId } from "./store";
import { detachRun } from "../run/live";
import { useRunStore } from "../run/store";

/**
 * A different design is coming onto the canvas: stop showing the run of the previous one (its
 * states belong to other resources). The run itself goes on in the backend and stays in the history.
 */
export function forgetShownRun(): void {
  detachRun();
  useRunStore.getState().clear();
}

/** Loads the resource types from the backend (core's own list stays if it cannot answer). */
export async function loadCatalog(): Promise<void> {
  try {
    const types = await trpc.catalog.list.query();
    useDesignStore.getState().setCatalog(types as never);
  } catch (err) {
    useDesignStore.getState().notify("error", `Could not load the resource types: ${errorMessage(err)}`);
  }
}

function idOf(result: unknown): ExperimentId {
  if (typeof result === "string" || typeof result === "number") return String(result);
  const r = result as { id?: string | number };
  return String(r.id);
}

/** Saves the design to the backend (a new experiment the first time) and returns its id. */
export async function saveDesign(): Promise<ExperimentId | null> {
  const store = useDesignStore.getState();
  if (store.readOnly) {
    store.notify("error", "A past run cannot be saved over its experiment.");
    return null;
  }
  const document = store.toDocument();
  try {
    const result = await trpc.experiments.save.mutate(
      (store.experimentId ? { id: store.experimentId, document } : { document }) as never,
    );
    const id = idOf(result);
    useDesignStore.getState().markSaved(id);
    useDesignStore.getState().notify("success", `Saved “${document.name}”.`);
    return id;
  } catch (err) {
    useDesignStore.getState().notify("error", `Save failed: ${errorMessage(err)}`);
    return null;
  }
}

export interface ExperimentSummary {
  id: ExperimentId;
  name: string;
  description?: string;
  resources?: number;
  updatedAt?: string | number;
  example?: boolean;
}

/** The saved experiments (the examples are among them). */
export async function listExperiments(): Promise<ExperimentSummary[]> {
  const rows = (await trpc.experiments.list.query()) as unknown as Array<Record<string, unknown>>;
  return rows.map((r) => {
    const doc = r.document as ExperimentDocument | undefined;
    return {
      id: String(r.id),
      name: String(r.name ?? doc?.name ?? r.id),
      description: (r.description as string | undefined) ?? doc?.description,
      resources: (r.resources as number | undefined) ?? (r.resourceCount as number | undefined) ?? doc?.resources.length,
      updatedAt: (r.updatedAt ?? r.updated_at) as string | number | undefined,
      example: Boolean(r.example ?? r.isExample),
    };
  });
}

export async function openExperiment(id: ExperimentId): Promise<boolean> {
  try {
    const result = (await trpc.experiments.get.query({ id } as never)) as unknown as Record<string, unknown>;
    const doc = (result.document ?? result) as ExperimentDocument;
    forgetShownRun();
    useDesignStore.getState().loadDocument(doc, { experimentId: id });
    useDesignStore.getState().notify("info", `Opened “${doc.name}”.`);
    return true;
  } catch (err) {
    useDesignStore.getState().notify("error", `Could not open the experiment: ${errorMessage(err)}`);
    return false;
  }
}

/**
 * Credential values never leave the browser in a file: like the backend's export (core's one
 * rule, with the catalog the backend sent), each one is replaced by the placeholder, which an
 * import reports as missing.
 */
export function redactCredentials(doc: ExperimentDocument): ExperimentDocument {
  const catalog = useDesignStore.getState().catalog;
  return redactDocumentCredentials(doc, (rtype) => catalog[rtype]);
}

/** Drops the placeholders an export left, naming each credential to enter again. */
export function stripCredentialPlaceholders(doc: ExperimentDocument): { doc: ExperimentDocument; missing: string[] } {
  const missing: string[] = [];
  const resources = doc.resources.map((r) => {
    const names = Object.keys(r.attributes).filter((n) => r.attributes[n] === CREDENTIAL_PLACEHOLDER);
    if (!names.length) return r;
    const attributes = { ...r.attributes };
    for (const n of names) {
      delete attributes[n];
      missing.push(`${n} of ${r.label || r.type} #${r.guid}`);
    }
    return { ...r, attributes };
  });
  // A condition whose value was left out cannot be kept without it.
  const attributeConditions = doc.attributeConditions?.filter((c) => {
    if (c.value !== CREDENTIAL_PLACEHOLDER) return true;
    missing.push(`${c.attribute} set by a condition on #${c.group.join(", #")}`);
    return false;
  });
  return { doc: missing.length ? { ...doc, resources, ...(attributeConditions ? { attributeConditions } : {}) } : doc, missing };
}

/** Downloads the design as a JSON file (credentials replaced by a placeholder). */
export function exportDesign(): void {
  const doc = redactCredentials(useDesignStore.getState().toDocument());
  const blob = new Blob([JSON.stringify(doc, null, 2) + "\n"], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = `${doc.name.replace(/[^\w.-]+/g, "_") || "experiment"}.nepi.json`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/**
 * Reads an experiment document from JSON text: the document, or every problem with its path
 * (the schema is core's, the same the backend checks).
 */
export function parseDocumentText(text: string): { ok: true; doc: ExperimentDocument } | { ok: false; errors: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [`not JSON: ${(err as Error).message}`] };
  }
  const parsed = ExperimentDocumentSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => `${formatPath(i.path) || "document"}: ${i.message}`) };
  }
  return { ok: true, doc: parsed.data as ExperimentDocument };
}

/** Loads a design from a file chosen by the user (it becomes a new, unsaved experiment). */
export async function importFile(file: File): Promise<boolean> {
  const result = parseDocumentText(await file.text());
  const store = useDesignStore.getState();
  if (!result.ok) {
    const more = result.errors.length > 3 ? ` (and ${result.errors.length - 3} more)` : "";
    store.notify("error", `Cannot import ${file.name}: ${result.errors.slice(0, 3).join("; ")}${more}`);
    return false;
  }
  const { doc, missing } = stripCredentialPlaceholders(result.doc);
  forgetShownRun();
  store.loadDocument(doc, { experimentId: null });
  if (missing.length) store.notify("info", `Imported “${doc.name}”. Credentials were not exported; enter them again: ${missing.join(", ")}.`);
  else store.notify("success", `Imported “${doc.name}” from ${file.name}.`);
  return true;
}
