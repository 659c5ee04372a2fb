import {
  ExperimentController,
  documentView,
  mayEndByItself,
  type ExperimentDocument,
  type ResourceRunState,
  type RunEvent,
  type RunEventBatch,
  type StateEvent,
} from "@nepi/core";
import { trpc } from "../api/trpc";
import { onNextFrame, type NodeRunState, type RunResource, type RunStore } from "./store";

/** What the run panel needs to know of a document's resources. */
export function runResourcesOf(doc: ExperimentDocument): RunResource[] {
  return doc.resources.map((r) => ({ guid: r.guid, type: r.type, label: r.label, traces: r.traces ?? [] }));
}

/** One run the panel drives: a run on the backend, or a dry run in the page. */
interface ActiveRun {
  runId: string;
  stop(): Promise<void>;
  release(): Promise<void>;
  /** Releases one resource and what runs on it, and deploys them again. */
  redeploy(guid: number): Promise<void>;
  /** "Retry failed": re-runs the failed resources, in the same run. */
  retryFailed(): Promise<void>;
  /** Stop following (the run itself goes on). */
  detach(): void;
}

function statesOf(resources: ResourceRunState[]): Record<number, NodeRunState> {
  const states: Record<number, NodeRunState> = {};
  for (const r of resources) states[r.guid] = r.reason === undefined ? { state: r.state } : { state: r.state, reason: r.reason };
  return states;
}

/** Feeds one runs.events message into the store. */
export function applyRunEvent(run: RunStore, ev: RunEvent, id?: string): void {
  const store = run.getState();
  if (ev.type === "snapshot") {
    store.flush();
    store.applySnapshot(statesOf(ev.resources), undefined, id ?? String(ev.seq));
    store.setStatus(ev.status, ev.reason ?? null);
    for (const g of ev.gates ?? []) store.applyGate(g);
  } else if (ev.type === "transition") {
    store.enqueue([ev.event], id ?? String(ev.seq));
  } else if (ev.type === "gate") {
    store.applyGate(ev.gate);
  } else {
    // Apply the transitions that came before, so the status never runs ahead of the nodes.
    store.flush();
    store.setStatus(ev.status, ev.reason ?? null);
    if (ev.missingTraces) store.setMissingTraces(ev.missingTraces);
  }
}

/**
 * Asks runs.waitingOn again when something changed (a batch of events), never on a timer: one
 * question at a time, and one more if events came while it was asked.
 */
function waitingOnRefresher(run: RunStore, runId: string): () => void {
  let asking = false;
  let again = false;
  const ask = () => {
    asking = true;
    again = false;
    trpc.runs.waitingOn
      .query({ runId })
      .then((list) => {
        if (run.getState().runId === runId) run.getState().setWaitingOn(list);
      })
      .catch(() => {
        // The run is gone or the server unreachable: the stream's own error says so.
      })
      .finally(() => {
        asking = false;
        if (again) ask();
      });
  };
  return () => {
    if (asking) again = true;
    else ask();
  };
}

/** Follows a backend run's events (snapshot, then every transition, in batches) until detached. */
function followRemote(run: RunStore, runId: string, lastEventId?: string): ActiveRun {
  let backfilled = false;
  const refreshWaiting = waitingOnRefresher(run, runId);
  // The snapshot gives the states, not how they were reached: the transitions before it
  // come from runs.get, so the timeline misses none.
  const backfill = () => {
    if (backfilled) return;
    backfilled = true;
    trpc.runs.get
      .query({ runId })
      .then((detail) => {
        if (run.getState().runId === runId) run.getState().mergeTimeline(detail.timeline);
      })
      .catch(() => {
        // The live stream goes on; only the timeline's beginning is missing.
      });
  };
  // runs.eventBatches: the same events as runs.events, grouped per turn of the server's loop,
  // so a burst of a thousand transitions is one message to parse, not a thousand.
  const sub = trpc.runs.eventBatches.subscribe(
    { runId, ...(lastEventId ? { lastEventId } : {}) },
    {
      onData(msg) {
        // Tracked batches arrive as { id, data }; tRPC resumes after the last id on reconnect.
        const { data } = msg as { id: string; data: RunEventBatch };
        for (const ev of data.events) {
          applyRunEvent(run, ev, String(ev.seq));
          if (ev.type === "snapshot") backfill();
        }
        if (data.events.some((ev) => ev.type !== "status" || ev.status === "RUNNING")) refreshWaiting();
      },
      onError(err) {
        run.getState().setPhase("error", `lost the run's event stream: ${err.message}`);
      },
      onComplete() {
        const s = run.getState();
        s.flush();
        if (s.runId === runId && s.phase === "live") s.setPhase("ended");
      },
    },
  );
  return {
    runId,
    async stop() {
      await trpc.runs.stop.mutate({ runId });
    },
    async release() {
      await trpc.runs.release.mutate({ runId });
    },
    async redeploy(guid) {
      await trpc.runs.redeploy.mutate({ runId, guid });
    },
    async retryFailed() {
      await trpc.runs.retryFailed.mutate({ runId });
    },
    detach() {
      sub.unsubscribe();
    },
  };
}

/**
 * Runs the design in the page as a dry run (core's `dryRun` option: the same design and rules,
 * every host-bound resource simulated): the order of events shows without touching any host.
 */
function runDry(run: RunStore, doc: ExperimentDocument): ActiveRun {
  const runId = `dry-${Date.now()}`;
  const store = run.getState();
  store.beginRun(runId, { phase: "live", dryRun: true, resources: runResourcesOf(doc) });
  const ec = ExperimentController.fromDocument(doc, { dryRun: {} });
  const initial: Record<number, NodeRunState> = {};
  for (const r of doc.resources) initial[r.guid] = { state: ec.state(r.guid) };
  store.applySnapshot(initial, [], null);
  store.setStatus("RUNNING");
  let detached = false;
  // What each resource waits for, asked of the engine at most once per frame (as the states are drawn).
  let explaining = false;
  const explain = () => {
    if (explaining) return;
    explaining = true;
    onNextFrame(() => {
      explaining = false;
      if (!detached) run.getState().setWaitingOn([...ec.waitingOnAll()].map(([guid, waitingOn]) => ({ guid, waitingOn })));
    });
  };
  const onState = (e: StateEvent) => {
    if (detached) return;
    run.getState().enqueue([e]);
    explain();
  };
  ec.on("state", onState);
  ec.on("gate", (g) => {
    if (detached) return;
    run.getState().applyGate(g);
    explain();
  });
  const guids = doc.resources.map((r) => r.guid);
  // Infrastructure (a node) runs until released: the dry run is over when the rest finished.
  const view = documentView(doc);
  const ending = guids.filter((g) => mayEndByItself(view, g));
  ec.deploy();
  const watchEnd = () =>
    ec.waitFinished(ending, { timeout: "1h" }).then(
      () => !detached && finishDry("FINISHED"),
      (err: Error) => !detached && finishDry(ec.ecState === "FAILED" ? "FAILED" : "FINISHED_WITH_FAILURES", err.message),
    );
  void watchEnd();
  function finishDry(status: string, reason?: string) {
    const s = run.getState();
    s.flush();
    s.setStatus(status, reason ?? null);
  }
  return {
    runId,
    async stop() {
      for (const g of guids) {
        const st = ec.state(g);
        if (st === "STARTED") void ec.stop(g);
      }
    },
    async redeploy(guid) {
      await ec.redeploy(guid);
      // What was over may run again: the dry run is over once it has ended again.
      run.getState().setStatus("RUNNING");
      void watchEnd();
    },
    async retryFailed() {
      if (ec.retryFailed().length === 0) return;
      run.getState().setStatus("RUNNING");
      await watchEnd();
    },
    async release() {
      await ec.release();
      await ec.shutdown();
      const s = run.getState();
      s.flush();
      s.setStatus("RELEASED");
      s.setPhase("ended");
    },
    detach() {
      detached = true;
      void ec.shutdown();
    },
  };
}

/**
 * The run the panel shows and drives: a run on the backend (followed over runs.eventBatches), or
 * a dry run executed in the page by the browser-safe engine. One per editor; it feeds `run`.
 */
export interface LiveRuns {
  /** Shows and follows run `runId` of the backend (a fresh deploy, or a live run reopened). */
  showRemote(runId: string, opts?: { phase?: "live" | "history"; doc?: ExperimentDocument }): void;
  startDry(doc: ExperimentDocument): void;
  /** Stops following whatever run is shown (the run itself goes on). */
  detach(): void;
  stop(): Promise<void>;
  release(): Promise<void>;
  /** Releases one resource of the run shown (and what runs on it) and deploys them again. */
  redeploy(guid: number): Promise<void>;
  retryFailed(): Promise<void>;
}

export function createLiveRuns(run: RunStore): LiveRuns {
  let active: ActiveRun | null = null;
  return {
    showRemote(runId, opts = {}) {
      active?.detach();
      if (opts.phase !== "history")
        run.getState().beginRun(runId, { phase: "live", resources: opts.doc ? runResourcesOf(opts.doc) : [] });
      active = followRemote(run, runId);
    },
    startDry(doc) {
      active?.detach();
      active = null;
      active = runDry(run, doc);
    },
    detach() {
      active?.detach();
      active = null;
    },
    async stop() {
      if (active) await active.stop();
    },
    async release() {
      if (active) await active.release();
    },
    async redeploy(guid) {
      if (!active) throw new Error("no run is shown");
      await active.redeploy(guid);
    },
    async retryFailed() {
      if (active) await active.retryFailed();
    },
  };
}
