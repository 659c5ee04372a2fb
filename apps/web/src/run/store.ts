import { createStore, type StoreApi } from "zustand";
import { storeContext } from "../store-context";
import type { GateEvent, LinkRate, MissingTrace, ResourceState, StateEvent, WaitReason } from "@nepi/core";

/** The live state of one resource in the run shown on the canvas. */
export interface NodeRunState {
  state: ResourceState;
  reason?: string;
  /** Which attempt it is on, from the second (retries, "Retry failed"). */
  attempt?: number;
}

/** How many resources are in each phase the progress bar shows. */
export interface RunCounts {
  total: number;
  READY: number;
  STARTED: number;
  FINISHED: number;
  STOPPED: number;
  FAILED: number;
  RELEASED: number;
}

/** A resource of the shown run, as its document describes it (labels, traces). */
export interface RunResource {
  guid: number;
  type: string;
  label?: string;
  traces: string[];
}

export interface RunFailure {
  guid: number;
  reason: string;
}

/**
 * What the run panel is doing: `idle` (no run shown), `deploying` (saving + runs.start),
 * `live` (following a run's events), `ended` (its stream completed), `history` (a past run
 * reopened read-only), `error` (the last action failed; see `error`).
 */
export type RunPhase = "idle" | "deploying" | "live" | "ended" | "history" | "error";

export interface RunStoreState {
  runId: string | null;
  /** Status of the run as the backend reports it (RUNNING, FINISHED, FAILED, RELEASED…). */
  status: string | null;
  /** Why the run ended as it did (a failure's cause, "released by the user"…). */
  statusReason: string | null;
  phase: RunPhase;
  /** True for a dry run (every resource replaced by sim::Task). */
  dryRun: boolean;
  /** The resources of the shown run (from the document that was run). */
  resources: RunResource[];
  /** guid → live state; a node component selects only its own entry. */
  states: Record<number, NodeRunState>;
  counts: RunCounts;
  /** Failed resources with their reasons (the problems list shows them too). */
  failures: RunFailure[];
  /** How many times each resource was redeployed (back to NEW): a trace pane starts again then. */
  redeploys: Record<number, number>;
  /** Every transition seen, in order: the Gantt timeline draws it. */
  timeline: StateEvent[];
  /** Id of the last event applied, to resume the event stream without gap or duplicate. */
  lastEventId: string | null;
  error: string | null;
  /** Enabled traces the run's release could not collect, and why (the run panel shows them). */
  missingTraces: MissingTrace[];
  /** guid → what it waits for before its next state (live runs; absent: nothing). */
  waitingOn: Record<number, WaitReason[]>;
  /** Index of a condition in the run's document → its gate's latest event (armed: counting down). */
  gates: Record<number, GateEvent>;
  /** guid → a network link's latest throughput and up flag, from its counters trace (links in view). */
  linkRates: Record<number, LinkRate>;

  /** Forget the shown run and show `runId` (empty states until its snapshot arrives). */
  beginRun(runId: string, opts?: { phase?: RunPhase; dryRun?: boolean; resources?: RunResource[] }): void;
  /** Replace every state at once (the snapshot that opens an event stream, or a past run). */
  applySnapshot(states: Record<number, NodeRunState>, timeline?: StateEvent[], lastEventId?: string | null): void;
  /** Adds transitions that happened before the stream's snapshot (from runs.get), once each. */
  mergeTimeline(earlier: StateEvent[]): void;
  /** Queue transitions; they are applied together on the next animation frame. */
  enqueue(events: StateEvent[], lastEventId?: string | null): void;
  /** Apply queued transitions now (tests and the end of a stream). */
  flush(): void;
  setStatus(status: string | null, reason?: string | null): void;
  setMissingTraces(missing: MissingTrace[]): void;
  /** Replaces what every resource waits for (the answer of runs.waitingOn, or the dry run's engine). */
  setWaitingOn(list: ReadonlyArray<{ guid: number; waitingOn: WaitReason[] }>): void;
  /** A condition's delay started, or it opened. */
  applyGate(gate: GateEvent): void;
  setPhase(phase: RunPhase, error?: string | null): void;
  setLinkRate(guid: number, rate: LinkRate): void;
  /**
   * Takes one of the few counters streams the canvas may follow at once (the server allows a
   * connection a bounded number of subscriptions): false when they are all taken.
   */
  claimLinkFeed(): boolean;
  releaseLinkFeed(): void;
  clear(): void;
}

/** Link counters followed at once at most: the links in view when zoomed in are fewer. */
export const MAX_LINK_FEEDS = 32;

const EMPTY_COUNTS: RunCounts = { total: 0, READY: 0, STARTED: 0, FINISHED: 0, STOPPED: 0, FAILED: 0, RELEASED: 0 };

function countOne(counts: RunCounts, state: ResourceState, by: 1 | -1): void {
  if (
    state === "READY" ||
    state === "STARTED" ||
    state === "FINISHED" ||
    state === "STOPPED" ||
    state === "FAILED" ||
    state === "RELEASED"
  ) {
    counts[state] += by;
  }
}

function countStates(states: Record<number, NodeRunState>): RunCounts {
  const counts = { ...EMPTY_COUNTS };
  for (const key in states) {
    counts.total++;
    countOne(counts, states[key].state, 1);
  }
  return counts;
}

function failuresOf(states: Record<number, NodeRunState>): RunFailure[] {
  const out: RunFailure[] = [];
  for (const key in states) {
    const s = states[key];
    if (s.state === "FAILED") out.push({ guid: Number(key), reason: s.reason ?? "failed (no reason given)" });
  }
  return out.sort((a, b) => a.guid - b.guid);
}

/** Runs `flush` on the next animation frame, or on a timer when the tab is hidden (it gets no frames). */
export function onNextFrame(flush: () => void): void {
  if (typeof requestAnimationFrame === "function" && typeof document !== "undefined" && !document.hidden) {
    requestAnimationFrame(flush);
  } else {
    setTimeout(flush, 16);
  }
}

export type RunStore = StoreApi<RunStoreState>;

/** One transition, as the timeline tells it from another copy of it. */
function timelineKey(e: StateEvent): string {
  return `${e.guid}/${e.state}/${e.at}`;
}

/** The store of the run shown on the canvas: one per editor, and a fresh one per test. */
/** What the store holds when no run is shown (and what a new run starts from). */
const NO_RUN: Omit<RunStoreState, FunctionKeys<RunStoreState>> = {
  runId: null,
  status: null,
  statusReason: null,
  phase: "idle",
  dryRun: false,
  resources: [],
  states: {},
  counts: EMPTY_COUNTS,
  failures: [],
  timeline: [],
  redeploys: {},
  lastEventId: null,
  error: null,
  missingTraces: [],
  waitingOn: {},
  gates: {},
  linkRates: {},
};

type FunctionKeys<T> = { [K in keyof T]: T[K] extends (...args: never[]) => unknown ? K : never }[keyof T];

export function createRunStore(): RunStore {
  // Transitions that arrived since the last frame, with the stream id of the newest one.
  let pending: StateEvent[] = [];
  let pendingLastId: string | null = null;
  let frameRequested = false;
  // Transitions runs.get added to the timeline that the live stream may still deliver: the
  // timeline shows each once.
  let fromRunsGet = new Set<string>();
  let linkFeeds = 0;

  function scheduleFlush(flush: () => void): void {
    if (frameRequested) return;
    frameRequested = true;
    // One batch per frame; a clear() in between cancels it.
    onNextFrame(() => {
      if (!frameRequested) return;
      frameRequested = false;
      flush();
    });
  }

  return createStore<RunStoreState>()((set, get) => ({
    ...NO_RUN,

    beginRun(runId, opts) {
      pending = [];
      pendingLastId = null;
      fromRunsGet = new Set();
      set({
        ...NO_RUN,
        runId,
        phase: opts?.phase ?? "live",
        dryRun: opts?.dryRun ?? false,
        resources: opts?.resources ?? [],
      });
    },

    applySnapshot(states, timeline, lastEventId) {
      pending = [];
      set({
        states,
        counts: countStates(states),
        failures: failuresOf(states),
        timeline: timeline ?? get().timeline,
        lastEventId: lastEventId ?? get().lastEventId,
      });
    },

    mergeTimeline(earlier) {
      // One still queued, or still to come from the stream, is not added again then (flush).
      const known = new Set(get().timeline.map(timelineKey));
      const missing = earlier.filter((e) => !known.has(timelineKey(e)));
      if (missing.length === 0) return;
      for (const e of missing) fromRunsGet.add(timelineKey(e));
      // Stable by time: transitions of one instant keep the engine's order.
      const merged = missing.concat(get().timeline).sort((a, b) => a.at - b.at);
      set({ timeline: merged });
    },

    enqueue(events, lastEventId) {
      if (events.length === 0) return;
      for (const e of events) pending.push(e);
      if (lastEventId !== undefined) pendingLastId = lastEventId;
      scheduleFlush(() => get().flush());
    },

    flush() {
      if (pending.length === 0) return;
      const batch = pending;
      const lastId = pendingLastId;
      pending = [];
      pendingLastId = null;
      const prev = get();
      // A shallow copy: untouched entries keep their identity, so only changed nodes re-render.
      const states = { ...prev.states };
      // Counts move with each transition: no pass over every resource per frame.
      const counts = { ...prev.counts };
      let failed = false;
      let redeploys = prev.redeploys;
      for (const e of batch) {
        if (e.state === "NEW" && e.previous !== "NEW") {
          if (redeploys === prev.redeploys) redeploys = { ...redeploys };
          redeploys[e.guid] = (redeploys[e.guid] ?? 0) + 1;
        }
        const before = states[e.guid];
        if (before) countOne(counts, before.state, -1);
        else counts.total++;
        countOne(counts, e.state, 1);
        const s: NodeRunState = e.reason === undefined ? { state: e.state } : { state: e.state, reason: e.reason };
        if (e.attempt !== undefined) s.attempt = e.attempt;
        states[e.guid] = s;
        if (e.state === "FAILED") failed = true;
      }
      set({
        states,
        counts,
        failures: failed || prev.failures.length > 0 ? failuresOf(states) : prev.failures,
        redeploys,
        timeline: prev.timeline.concat(fromRunsGet.size > 0 ? batch.filter((e) => !fromRunsGet.delete(timelineKey(e))) : batch),
        lastEventId: lastId ?? prev.lastEventId,
      });
    },

    setStatus(status, reason = null) {
      set({ status, statusReason: reason });
    },

    setMissingTraces(missingTraces) {
      set({ missingTraces });
    },

    setWaitingOn(list) {
      const waitingOn: Record<number, WaitReason[]> = {};
      const prev = get().waitingOn;
      // Unchanged entries keep their identity: only the nodes whose text changed re-render.
      for (const w of list) {
        const before = prev[w.guid];
        waitingOn[w.guid] = before && JSON.stringify(before) === JSON.stringify(w.waitingOn) ? before : w.waitingOn;
      }
      set({ waitingOn });
    },

    applyGate(gate) {
      if (gate.condition === undefined) return;
      set({ gates: { ...get().gates, [gate.condition]: gate } });
    },

    setPhase(phase, error = null) {
      set({ phase, error });
    },

    setLinkRate(guid, rate) {
      set({ linkRates: { ...get().linkRates, [guid]: rate } });
    },

    claimLinkFeed() {
      if (linkFeeds >= MAX_LINK_FEEDS) return false;
      linkFeeds++;
      return true;
    },

    releaseLinkFeed() {
      linkFeeds = Math.max(0, linkFeeds - 1);
    },

    clear() {
      pending = [];
      pendingLastId = null;
      fromRunsGet = new Set();
      frameRequested = false;
      set(NO_RUN);
    },
  }));
}

const run = storeContext<RunStoreState>("run store");

/** Gives the components below it their run store. */
export const RunStoreProvider = run.Provider;
/** The run store of the editor this component is in (for event handlers). */
export const useRunStoreApi = run.useApi;
/** Reads a part of the shown run's state; re-renders when that part changes. */
export const useRunStore = run.useSelect;
