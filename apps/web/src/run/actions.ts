import type { ExperimentDocument } from "@nepi/core";
import { useDesignStore } from "../designer/store";
import { trpc, errorMessage } from "../api/trpc";
import { useRunStore } from "./store";
import { detachRun, releaseRun, runResourcesOf, showRemoteRun, startDryRun, stopRun } from "./live";

/** Why Deploy cannot be pressed now, or null when it can. */
export function deployBlocker(problemCount: number, readOnly: boolean, busy: boolean): string | null {
  if (readOnly) return "This is a past run, shown read-only: go back to the design to deploy.";
  if (busy) return "A run is going on: stop or release it first.";
  if (problemCount > 0) {
    return `Fix the ${problemCount === 1 ? "problem" : `${problemCount} problems`} listed below before deploying.`;
  }
  return null;
}

/** Saves the design (so the run keeps the exact document), then starts a run of it. */
export async function deploy(): Promise<void> {
  const runStore = useRunStore.getState();
  runStore.setPhase("deploying");
  try {
    const design = useDesignStore.getState();
    const document = design.toDocument();
    const { id } = await trpc.experiments.save.mutate(design.experimentId ? { id: design.experimentId, document } : { document });
    useDesignStore.getState().markSaved(id);
    const { runId } = await trpc.runs.start.mutate({ experimentId: id });
    showRemoteRun(runId, { doc: document });
  } catch (err) {
    useRunStore.getState().setPhase("error", `deploy failed: ${errorMessage(err)}`);
  }
}

/** Runs the design in the page as a dry run (every host-bound resource simulated), to check the order of events. */
export function dryRun(): void {
  try {
    startDryRun(useDesignStore.getState().toDocument());
  } catch (err) {
    useRunStore.getState().setPhase("error", `dry run failed: ${errorMessage(err)}`);
  }
}

export async function stop(): Promise<void> {
  try {
    await stopRun();
  } catch (err) {
    useRunStore.getState().setPhase("error", `stop failed: ${errorMessage(err)}`);
  }
}

export async function release(): Promise<void> {
  try {
    await releaseRun();
  } catch (err) {
    useRunStore.getState().setPhase("error", `release failed: ${errorMessage(err)}`);
  }
}

// The design being edited when a past run was opened, restored by closeHistory().
let draft: { doc: ExperimentDocument; experimentId: string | null; dirty: boolean } | null = null;

/** Opens a past (or still running) run read-only: its document, states, timeline and traces. */
export async function openRun(runId: string): Promise<void> {
  try {
    const detail = await trpc.runs.get.query({ runId });
    const design = useDesignStore.getState();
    if (!design.readOnly) draft = { doc: design.toDocument(), experimentId: design.experimentId, dirty: design.dirty };
    detachRun();
    design.loadDocument(detail.document, { experimentId: detail.experimentId, readOnly: true });
    const store = useRunStore.getState();
    store.beginRun(runId, { phase: "history", resources: runResourcesOf(detail.document) });
    const states: Record<number, { state: (typeof detail.resources)[number]["state"]; reason?: string }> = {};
    for (const r of detail.resources) states[r.guid] = r.reason === undefined ? { state: r.state } : { state: r.state, reason: r.reason };
    store.applySnapshot(states, detail.timeline, null);
    store.setStatus(detail.status, detail.reason ?? null);
    if (detail.status === "RUNNING") showRemoteRun(runId, { phase: "history" });
  } catch (err) {
    useRunStore.getState().setPhase("error", `could not open run ${runId}: ${errorMessage(err)}`);
  }
}

/** Leaves a past run and returns to the design that was being edited. */
export function closeHistory(): void {
  detachRun();
  useRunStore.getState().clear();
  const design = useDesignStore.getState();
  if (draft) {
    design.loadDocument(draft.doc, { experimentId: draft.experimentId, readOnly: false });
    // Unsaved edits stay marked as such.
    if (draft.dirty) useDesignStore.setState({ dirty: true });
  } else {
    // Opened right after a page load: the past run's design becomes the one edited.
    design.loadDocument(design.toDocument(), { experimentId: design.experimentId, readOnly: false });
  }
  draft = null;
}
