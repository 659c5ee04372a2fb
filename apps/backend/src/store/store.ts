import { randomUUID } from "node:crypto";
import type {
  ExperimentDocument,
  GateEvent,
  ExperimentSummary,
  Leftover,
  MissingTrace,
  ResourceRunState,
  ResourceState,
  RunStatus,
  RunTraceInfo,
  StateEvent,
} from "@nepi/core";
import type { Db } from "./db.js";

export interface StoredExperiment {
  id: string;
  document: ExperimentDocument;
  createdAt: number;
  updatedAt: number;
}

export interface StoredRun {
  runId: string;
  experimentId: string;
  experimentName: string;
  document: ExperimentDocument;
  status: RunStatus;
  reason?: string;
  startedAt: number;
  endedAt?: number;
  releasedAt?: number;
  leftovers: Leftover[];
}

/** One row of run_events: a resource transition or a run status change. */
export type StoredEvent =
  | { seq: number; kind: "transition"; event: StateEvent }
  | { seq: number; kind: "status"; status: RunStatus; at: number; reason?: string; missingTraces?: MissingTrace[] }
  | { seq: number; kind: "gate"; gate: GateEvent };

interface RunRow {
  id: string;
  experiment_id: string;
  experiment_name: string;
  document: string;
  status: string;
  reason: string | null;
  started_at: number;
  ended_at: number | null;
  released_at: number | null;
  leftovers: string | null;
}
interface EventRow {
  seq: number;
  kind: string;
  guid: number | null;
  state: string;
  previous: string | null;
  at: number;
  reason: string | null;
  missing_traces: string | null;
  attempt: number | null;
  gate: string | null;
}

/**
 * The store: experiments, runs, their events and trace index, in SQLite.
 * Every write of something the user saved is one transaction. Run events are appended in
 * batches (one transaction per turn of the event loop) so a burst of thousands of transitions
 * costs one commit; `flushEvents()` forces the pending ones out (before a read, on shutdown).
 */
export class Store {
  private readonly pending: Array<[string, StoredEvent]> = [];
  private flushScheduled = false;
  private readonly q;

  constructor(readonly db: Db) {
    this.q = {
      listExperiments: db.prepare(
        "SELECT id, name, document, example, created_at, updated_at FROM experiments ORDER BY updated_at DESC, id",
      ),
      getExperiment: db.prepare("SELECT id, document, created_at, updated_at FROM experiments WHERE id = ?"),
      insertExperiment: db.prepare(
        "INSERT INTO experiments (id, name, document, example, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      updateExperiment: db.prepare("UPDATE experiments SET name = ?, document = ?, updated_at = ? WHERE id = ?"),
      deleteExperiment: db.prepare("DELETE FROM experiments WHERE id = ?"),
      countExperiments: db.prepare("SELECT COUNT(*) AS n FROM experiments"),
      insertRun: db.prepare(
        `INSERT INTO runs (id, experiment_id, experiment_name, document, status, started_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      getRun: db.prepare("SELECT * FROM runs WHERE id = ?"),
      listRuns: db.prepare("SELECT * FROM runs WHERE experiment_id = ? ORDER BY started_at DESC, id"),
      listAllRuns: db.prepare("SELECT * FROM runs ORDER BY started_at DESC, id"),
      activeRuns: db.prepare("SELECT * FROM runs WHERE released_at IS NULL AND status != 'INTERRUPTED'"),
      setStatus: db.prepare("UPDATE runs SET status = ?, reason = ?, ended_at = COALESCE(?, ended_at) WHERE id = ?"),
      setReleased: db.prepare("UPDATE runs SET released_at = ? WHERE id = ?"),
      setLeftovers: db.prepare("UPDATE runs SET leftovers = ? WHERE id = ?"),
      insertEvent: db.prepare(
        "INSERT INTO run_events (run_id, seq, kind, guid, state, previous, at, reason, missing_traces, attempt, gate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      eventsAfter: db.prepare(
        "SELECT seq, kind, guid, state, previous, at, reason, missing_traces, attempt, gate FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq",
      ),
      // SQLite returns the other columns of the row holding MAX(seq): each resource's last state.
      latestStates: db.prepare(
        `SELECT guid, state, at, reason, MAX(seq) AS seq FROM run_events
         WHERE run_id = ? AND kind = 'transition' GROUP BY guid ORDER BY guid`,
      ),
      lastSeq: db.prepare("SELECT MAX(seq) AS seq FROM run_events WHERE run_id = ?"),
      wasInterrupted: db.prepare(
        "SELECT 1 AS yes FROM run_events WHERE run_id = ? AND kind = 'status' AND state = 'INTERRUPTED' LIMIT 1",
      ),
      upsertTrace: db.prepare(
        `INSERT INTO run_traces (run_id, guid, name, path, size) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (run_id, guid, name) DO UPDATE SET path = excluded.path, size = excluded.size`,
      ),
      getTrace: db.prepare("SELECT path, size FROM run_traces WHERE run_id = ? AND guid = ? AND name = ?"),
      listTraces: db.prepare("SELECT guid, name, size FROM run_traces WHERE run_id = ? ORDER BY guid, name"),
      getMeta: db.prepare("SELECT value FROM meta WHERE key = ?"),
      setMeta: db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
    };
  }

  // ---- experiments -------------------------------------------------------------------------

  listExperiments(): ExperimentSummary[] {
    const rows = this.q.listExperiments.all() as Array<{
      id: string;
      name: string;
      document: string;
      example: number;
      created_at: number;
      updated_at: number;
    }>;
    return rows.map((r) => {
      const doc = JSON.parse(r.document) as ExperimentDocument;
      return {
        id: r.id,
        name: r.name,
        ...(doc.description !== undefined ? { description: doc.description } : {}),
        resourceCount: doc.resources.length,
        example: r.example === 1,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
      };
    });
  }

  getExperiment(id: string): StoredExperiment | undefined {
    const r = this.q.getExperiment.get(id) as
      { id: string; document: string; created_at: number; updated_at: number } | undefined;
    if (!r) return undefined;
    return { id: r.id, document: JSON.parse(r.document) as ExperimentDocument, createdAt: r.created_at, updatedAt: r.updated_at };
  }

  /**
   * Creates the experiment (a new id) or replaces the saved one; returns its id. `example`
   * marks a new one as seeded from the examples (a replaced one keeps its mark).
   */
  saveExperiment(document: ExperimentDocument, id?: string, opts: { example?: boolean } = {}): string {
    const now = Date.now();
    const json = JSON.stringify(document);
    if (id !== undefined) {
      const { changes } = this.q.updateExperiment.run(document.name, json, now, id);
      if (changes === 1) return id;
    }
    const newId = id ?? randomUUID();
    this.q.insertExperiment.run(newId, document.name, json, opts.example ? 1 : 0, now, now);
    return newId;
  }

  deleteExperiment(id: string): boolean {
    return this.q.deleteExperiment.run(id).changes === 1;
  }

  experimentCount(): number {
    return (this.q.countExperiments.get() as { n: number }).n;
  }

  // ---- runs --------------------------------------------------------------------------------

  createRun(runId: string, experimentId: string, document: ExperimentDocument, startedAt: number): void {
    this.q.insertRun.run(runId, experimentId, document.name, JSON.stringify(document), "RUNNING", startedAt);
  }

  getRun(runId: string): StoredRun | undefined {
    const r = this.q.getRun.get(runId) as RunRow | undefined;
    return r && toRun(r);
  }

  listRuns(experimentId?: string): StoredRun[] {
    const rows = (experimentId === undefined ? this.q.listAllRuns.all() : this.q.listRuns.all(experimentId)) as RunRow[];
    return rows.map(toRun);
  }

  /** Runs that had a live controller when the server last stopped (none after a clean exit). */
  activeRuns(): StoredRun[] {
    return (this.q.activeRuns.all() as RunRow[]).map(toRun);
  }

  setRunStatus(runId: string, status: RunStatus, reason: string | undefined, endedAt: number | undefined): void {
    this.flushEvents();
    this.q.setStatus.run(status, reason ?? null, endedAt ?? null, runId);
  }

  setRunReleased(runId: string, at: number): void {
    this.flushEvents();
    this.q.setReleased.run(at, runId);
  }

  setLeftovers(runId: string, leftovers: Leftover[]): void {
    this.q.setLeftovers.run(JSON.stringify(leftovers), runId);
  }

  // ---- events ------------------------------------------------------------------------------

  /** Queues an event for the next batched write. */
  appendEvent(runId: string, event: StoredEvent): void {
    this.pending.push([runId, event]);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushEvents());
    }
  }

  /** Writes every queued event in one transaction. */
  flushEvents(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending.splice(0);
    this.db.transaction(() => {
      for (const [runId, e] of batch) {
        if (e.kind === "transition") {
          const t = e.event;
          this.q.insertEvent.run(
            runId,
            e.seq,
            "transition",
            t.guid,
            t.state,
            t.previous,
            t.at,
            t.reason ?? null,
            null,
            t.attempt ?? null,
            null,
          );
        } else if (e.kind === "gate") {
          this.q.insertEvent.run(
            runId,
            e.seq,
            "gate",
            null,
            e.gate.status,
            null,
            e.gate.at,
            null,
            null,
            null,
            JSON.stringify(e.gate),
          );
        } else {
          const missing = e.missingTraces?.length ? JSON.stringify(e.missingTraces) : null;
          this.q.insertEvent.run(runId, e.seq, "status", null, e.status, null, e.at, e.reason ?? null, missing, null, null);
        }
      }
    })();
  }

  /** The run's events with a sequence number above `afterSeq`, in order. */
  eventsAfter(runId: string, afterSeq: number): StoredEvent[] {
    this.flushEvents();
    return (this.q.eventsAfter.all(runId, afterSeq) as EventRow[]).map(toEvent);
  }

  /** Every resource's last recorded state in a run. */
  latestStates(runId: string): ResourceRunState[] {
    this.flushEvents();
    const rows = this.q.latestStates.all(runId) as Array<{ guid: number; state: string; at: number; reason: string | null }>;
    return rows.map((r) => ({
      guid: r.guid,
      state: r.state as ResourceState,
      at: r.at,
      ...(r.reason !== null ? { reason: r.reason } : {}),
    }));
  }

  lastSeq(runId: string): number {
    this.flushEvents();
    return (this.q.lastSeq.get(runId) as { seq: number | null }).seq ?? 0;
  }

  /** The run was once marked INTERRUPTED (a crash stopped it), whatever its status now. */
  wasInterrupted(runId: string): boolean {
    this.flushEvents();
    return this.q.wasInterrupted.get(runId) !== undefined;
  }

  // ---- traces ------------------------------------------------------------------------------

  recordTrace(runId: string, guid: number, name: string, path: string, size: number): void {
    this.q.upsertTrace.run(runId, guid, name, path, size);
  }

  getTrace(runId: string, guid: number, name: string): { path: string; size: number } | undefined {
    return this.q.getTrace.get(runId, guid, name) as { path: string; size: number } | undefined;
  }

  listTraces(runId: string): RunTraceInfo[] {
    return this.q.listTraces.all(runId) as RunTraceInfo[];
  }

  // ---- meta --------------------------------------------------------------------------------

  getMeta(key: string): string | undefined {
    return (this.q.getMeta.get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.q.setMeta.run(key, value);
  }

  close(): void {
    this.flushEvents();
    this.db.close();
  }
}

function toRun(r: RunRow): StoredRun {
  return {
    runId: r.id,
    experimentId: r.experiment_id,
    experimentName: r.experiment_name,
    document: JSON.parse(r.document) as ExperimentDocument,
    status: r.status as RunStatus,
    ...(r.reason !== null ? { reason: r.reason } : {}),
    startedAt: r.started_at,
    ...(r.ended_at !== null ? { endedAt: r.ended_at } : {}),
    ...(r.released_at !== null ? { releasedAt: r.released_at } : {}),
    leftovers: r.leftovers ? (JSON.parse(r.leftovers) as Leftover[]) : [],
  };
}

function toEvent(r: EventRow): StoredEvent {
  if (r.kind === "gate") return { seq: r.seq, kind: "gate", gate: JSON.parse(r.gate!) as GateEvent };
  if (r.kind === "status") {
    return {
      seq: r.seq,
      kind: "status",
      status: r.state as RunStatus,
      at: r.at,
      ...(r.reason !== null ? { reason: r.reason } : {}),
      ...(r.missing_traces ? { missingTraces: JSON.parse(r.missing_traces) as MissingTrace[] } : {}),
    };
  }
  const event: StateEvent = {
    guid: r.guid!,
    state: r.state as ResourceState,
    previous: r.previous as ResourceState,
    at: r.at,
    ...(r.reason !== null ? { reason: r.reason } : {}),
    ...(r.attempt !== null ? { attempt: r.attempt } : {}),
  };
  return { seq: r.seq, kind: "transition", event };
}
