import type { ExperimentDocument } from "@nepi/core";
import type { DesignState, DesignStore } from "./store";
import { parseDocumentText, redactCredentials } from "./persistence";

/**
 * The design being edited is kept in the browser's localStorage as it changes, so a reload or a
 * crash of the tab loses nothing that was not saved yet. Credentials are never written there
 * (they become the placeholder, which the backend resolves to the saved value).
 */
const KEY = "nepi.designer.draft";
const WRITE_AFTER_MS = 400;

interface Draft {
  experimentId: string | null;
  dirty: boolean;
  document: ExperimentDocument;
}

function storage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null; // storage disabled by the browser
  }
}

/** Puts the last draft back on the canvas; false when there is none (or it is unreadable). */
export function restoreDraft(design: DesignStore): boolean {
  const text = storage()?.getItem(KEY);
  if (!text) return false;
  try {
    const draft = JSON.parse(text) as Draft;
    const parsed = parseDocumentText(JSON.stringify(draft.document));
    if (!parsed.ok) return false;
    design.getState().loadDocument(parsed.doc, { experimentId: draft.experimentId ?? null, dirty: draft.dirty });
    return true;
  } catch {
    return false;
  }
}

/** Writes the draft a moment after each change of the design; returns the unsubscribe function. */
export function autosaveDraft(design: DesignStore): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const write = () => {
    timer = null;
    const s = design.getState();
    if (s.readOnly) return;
    const draft: Draft = { experimentId: s.experimentId, dirty: s.dirty, document: redactCredentials(s.toDocument(), s.catalog) };
    try {
      storage()?.setItem(KEY, JSON.stringify(draft));
    } catch {
      // Quota exceeded: the design is still in memory and can be saved to the backend.
    }
  };
  const watched = (s: DesignState) => [
    s.nodes,
    s.connections,
    s.conditions,
    s.name,
    s.description,
    s.experimentId,
    s.dirty,
    s.readOnly,
  ];
  let last = watched(design.getState());
  const unsubscribe = design.subscribe((s) => {
    const now = watched(s);
    if (now.every((v, i) => v === last[i])) return;
    last = now;
    if (s.readOnly) return;
    timer ??= setTimeout(write, WRITE_AFTER_MS);
  });
  return () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
  };
}
