import type { ExperimentDocument } from "@nepi/core";
import type { DesignState, DesignStore } from "../designer/store";
import { trpc, errorMessage } from "../api/trpc";
import type { RunStore } from "./store";
import { runResourcesOf, type LiveRuns } from "./live";

/** What decides whether Deploy (and Dry run) can be pressed. */
export interface DeployGate {
  readOnly: boolean;
  /** The design has no resource. */
  empty: boolean;
  /** A run is being deployed or is running. */
  busy: boolean;
  /** Errors of the design (warnings do not block). */
  problemCount: number;
}

/** The design's part of the gate: read-only, empty, how many errors (warnings do not block). */
export function designGate(s: Pick<DesignState, "readOnly" | "nodes" | "problems">): Omit<DeployGate, "busy"> {
  return {
    readOnly: s.readOnly,
    empty: s.nodes.length === 0,
    problemCount: s.problems.filter((p) => p.severity !== "warning").length,
  };
}

/** Why Deploy cannot be pressed now (the button's tooltip), or null when it can. */
export function deployBlocker(g: DeployGate): string | null {
  if (g.readOnly) return "This is a past run, shown read-only: go back to the design to deploy.";
  if (g.busy) return "A run is going on: stop or release it first.";
  if (g.empty) return "The design is empty: drag a resource from the palette onto the canvas first.";
  if (g.problemCount > 0) {
    return `Fix the ${g.problemCount === 1 ? "problem" : `${g.problemCount} problems`} listed below before deploying.`;
  }
  return null;
}

/** What decides whether "Retry failed" can be pressed. */
export interface RetryGate {
  /** A run is shown and followed live (not a past run reopened, not being deployed). */
  live: boolean;
  status: string | null;
  /** Resources FAILED now. */
  failed: number;
}

/**
 * Why "Retry failed" cannot be pressed now (its tooltip), or null when it can: a live run in
 * which non-critical resources failed, ended with failures or still running.
 */
export function retryBlocker(g: RetryGate): string | null {
  if (!g.live) return "Only a run followed live can retry its failed resources.";
  if (g.status === "FAILED") return "A critical resource failed: the run was released. Deploy again.";
  if (g.status !== "FINISHED_WITH_FAILURES" && g.status !== "RUNNING")
    return "Only a run that is still going or finished with failures can retry them.";
  if (g.failed === 0) return "No resource has failed.";
  return null;
}

/** What the run controls and the history do; one per editor. */
export interface RunActions {
  /**
   * Saves the design (so the run keeps the exact document), then starts a run of it: of all
   * of it, or only of `guids` (and what they deploy after; the others stay NEW).
   */
  deploy(guids?: readonly number[]): Promise<void>;
  /** Releases one resource of the run shown (and what runs on it) and deploys them again. */
  redeploy(guid: number): Promise<void>;
  /** Runs the design in the page as a dry run (every host-bound resource simulated), to check the order of events. */
  dryRun(): void;
  stop(): Promise<void>;
  release(): Promise<void>;
  /** Re-runs the failed resources of the run shown (and what failed because of them), in the same run. */
  retryFailed(): Promise<void>;
  /** Opens a past (or still running) run read-only: its document, states, timeline and traces. */
  openRun(runId: string): Promise<void>;
  /** Leaves a past run and returns to the design that was being edited. */
  closeHistory(): void;
}

export function createRunActions(design: DesignStore, run: RunStore, live: LiveRuns): RunActions {
  // The design being edited when a past run was opened, restored by closeHistory().
  let draft: { doc: ExperimentDocument; experimentId: string | null; dirty: boolean } | null = null;

  return {
    async deploy(guids) {
      run.getState().setPhase("deploying");
      try {
        const d = design.getState();
        const document = d.toDocument();
        const { id } = await trpc.experiments.save.mutate(d.experimentId ? { id: d.experimentId, document } : { document });
        design.getState().markSaved(id);
        const { runId } = await trpc.runs.start.mutate({ experimentId: id, ...(guids ? { guids: [...guids] } : {}) });
        live.showRemote(runId, { doc: document });
      } catch (err) {
        run.getState().setPhase("error", `deploy failed: ${errorMessage(err)}`);
      }
    },

    dryRun() {
      try {
        live.startDry(design.getState().toDocument());
      } catch (err) {
        run.getState().setPhase("error", `dry run failed: ${errorMessage(err)}`);
      }
    },

    async stop() {
      try {
        await live.stop();
      } catch (err) {
        run.getState().setPhase("error", `stop failed: ${errorMessage(err)}`);
      }
    },

    async redeploy(guid) {
      try {
        await live.redeploy(guid);
      } catch (err) {
        // The run goes on: only the message is shown.
        const store = run.getState();
        store.setPhase(store.phase, `redeploy of #${guid} failed: ${errorMessage(err)}`);
      }
    },

    async release() {
      try {
        await live.release();
      } catch (err) {
        run.getState().setPhase("error", `release failed: ${errorMessage(err)}`);
      }
    },

    async retryFailed() {
      try {
        await live.retryFailed();
      } catch (err) {
        run.getState().setPhase("error", `retry failed: ${errorMessage(err)}`);
      }
    },

    async openRun(runId) {
      try {
        const detail = await trpc.runs.get.query({ runId });
        const d = design.getState();
        if (!d.readOnly) draft = { doc: d.toDocument(), experimentId: d.experimentId, dirty: d.dirty };
        live.detach();
        d.loadDocument(detail.document, { experimentId: detail.experimentId, readOnly: true });
        const store = run.getState();
        store.beginRun(runId, { phase: "history", resources: runResourcesOf(detail.document) });
        const states: Record<number, { state: (typeof detail.resources)[number]["state"]; reason?: string }> = {};
        for (const r of detail.resources)
          states[r.guid] = r.reason === undefined ? { state: r.state } : { state: r.state, reason: r.reason };
        store.applySnapshot(states, detail.timeline, null);
        store.setStatus(detail.status, detail.reason ?? null);
        store.setMissingTraces(detail.missingTraces ?? []);
        if (detail.status === "RUNNING") live.showRemote(runId, { phase: "history" });
      } catch (err) {
        run.getState().setPhase("error", `could not open run ${runId}: ${errorMessage(err)}`);
      }
    },

    closeHistory() {
      live.detach();
      run.getState().clear();
      const d = design.getState();
      if (draft) {
        // Unsaved edits stay marked as such.
        d.loadDocument(draft.doc, { experimentId: draft.experimentId, readOnly: false, dirty: draft.dirty });
      } else {
        // Opened right after a page load: the past run's design becomes the one edited.
        d.loadDocument(d.toDocument(), { experimentId: d.experimentId, readOnly: false });
      }
      draft = null;
    },
  };
}
