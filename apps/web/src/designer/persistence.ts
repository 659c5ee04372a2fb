import {
  CREDENTIAL_PLACEHOLDER,
  ExperimentDocumentSchema,
  formatPath,
  importNepiXml,
  NepiError,
  redactCredentials as redactDocumentCredentials,
  type ExperimentDocument,
  type NepiImport,
  type ResourceTypeInfo,
} from "@nepi/core";
import type { RouterOutputs } from "@nepi/backend/router";
import { errorMessage, trpc } from "../api/trpc";
import type { Editor } from "../editor";
import type { DesignStore, ExperimentId } from "./store";

/**
 * A different design is coming onto the canvas: stop showing the run of the previous one (its
 * states belong to other resources). The run itself goes on in the backend and stays in the history.
 */
export function forgetShownRun(editor: Pick<Editor, "live" | "run">): void {
  editor.live.detach();
  editor.run.getState().clear();
}

/** Loads the resource types from the backend (core's own list stays if it cannot answer). */
export async function loadCatalog(design: DesignStore): Promise<void> {
  try {
    design.getState().setCatalog(await trpc.catalog.list.query());
  } catch (err) {
    design.getState().notify("error", `Could not load the resource types: ${errorMessage(err)}`);
  }
}

/** Saves the design to the backend (a new experiment the first time) and returns its id. */
export async function saveDesign(design: DesignStore): Promise<ExperimentId | null> {
  const store = design.getState();
  if (store.readOnly) {
    store.notify("error", "A past run cannot be saved over its experiment.");
    return null;
  }
  const document = store.toDocument();
  try {
    const { id } = await trpc.experiments.save.mutate(store.experimentId ? { id: store.experimentId, document } : { document });
    design.getState().markSaved(id);
    design.getState().notify("success", `Saved “${document.name}”.`);
    return id;
  } catch (err) {
    design.getState().notify("error", `Save failed: ${errorMessage(err)}`);
    return null;
  }
}

/** A saved experiment as `experiments.list` describes it; `example` marks the ones the backend ships. */
export type ExperimentSummary = RouterOutputs["experiments"]["list"][number];

/** The saved experiments (the examples are among them). */
export function listExperiments(): Promise<ExperimentSummary[]> {
  return trpc.experiments.list.query();
}

/** The Open dialog's two sections, each keeping the backend's order (most recently changed first). */
export function examplesAndSaved(
  rows: readonly ExperimentSummary[],
  filter = "",
): { examples: ExperimentSummary[]; saved: ExperimentSummary[] } {
  const f = filter.toLowerCase();
  const shown = rows.filter((r) => `${r.name} ${r.description ?? ""}`.toLowerCase().includes(f));
  return { examples: shown.filter((r) => r.example), saved: shown.filter((r) => !r.example) };
}

export async function openExperiment(editor: Pick<Editor, "design" | "live" | "run">, id: ExperimentId): Promise<boolean> {
  const design = editor.design.getState();
  try {
    const { document } = await trpc.experiments.get.query({ id });
    forgetShownRun(editor);
    design.loadDocument(document, { experimentId: id });
    design.notify("info", `Opened “${document.name}”.`);
    return true;
  } catch (err) {
    design.notify("error", `Could not open the experiment: ${errorMessage(err)}`);
    return false;
  }
}

/**
 * Credential values never leave the browser in a file: like the backend's export (core's one
 * rule, with the catalog the backend sent), each one is replaced by the placeholder, which an
 * import reports as missing.
 */
export function redactCredentials(doc: ExperimentDocument, catalog: Record<string, ResourceTypeInfo>): ExperimentDocument {
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
export function exportDesign(design: DesignStore): void {
  const doc = redactCredentials(design.getState().toDocument(), design.getState().catalog);
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
  return parseDocumentValue(json);
}

function parseDocumentValue(json: unknown): { ok: true; doc: ExperimentDocument } | { ok: false; errors: string[] } {
  const parsed = ExperimentDocumentSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => `${formatPath(i.path) || "document"}: ${i.message}`) };
  }
  return { ok: true, doc: parsed.data as ExperimentDocument };
}

export type ImportedFile = { ok: true; doc: ExperimentDocument; warnings: string[] } | { ok: false; errors: string[] };

/**
 * Reads a file chosen for Import: an experiment saved by NEPI (XML) goes through core's
 * converter, the one `nepi import` uses; anything else is a JSON document.
 */
export function parseImportedFile(name: string, text: string): ImportedFile {
  if (!/\.xml$/i.test(name) && !text.trimStart().startsWith("<")) {
    const result = parseDocumentText(text);
    return result.ok ? { ...result, warnings: [] } : result;
  }
  let imported: NepiImport;
  try {
    imported = importNepiXml(text);
  } catch (err) {
    if (err instanceof NepiError) return { ok: false, errors: [err.message] };
    throw err;
  }
  const result = parseDocumentValue(imported.document);
  return result.ok ? { ...result, warnings: imported.warnings.map((w) => `${w.path}: ${w.message}`) } : result;
}

/** Loads a design from a file chosen by the user (it becomes a new, unsaved experiment). */
export async function importFile(editor: Pick<Editor, "design" | "live" | "run">, file: File): Promise<boolean> {
  const result = parseImportedFile(file.name, await file.text());
  const store = editor.design.getState();
  if (!result.ok) {
    const more = result.errors.length > 3 ? ` (and ${result.errors.length - 3} more)` : "";
    store.notify("error", `Cannot import ${file.name}: ${result.errors.slice(0, 3).join("; ")}${more}`);
    return false;
  }
  const { doc, missing } = stripCredentialPlaceholders(result.doc);
  forgetShownRun(editor);
  store.loadDocument(doc, { experimentId: null });
  if (missing.length)
    store.notify("info", `Imported “${doc.name}”. Credentials were not exported; enter them again: ${missing.join(", ")}.`);
  else if (result.warnings.length) {
    const more = result.warnings.length > 3 ? ` (and ${result.warnings.length - 3} more)` : "";
    store.notify(
      "info",
      `Imported “${doc.name}” from ${file.name}; not imported: ${result.warnings.slice(0, 3).join("; ")}${more}`,
    );
  } else store.notify("success", `Imported “${doc.name}” from ${file.name}.`);
  return true;
}
