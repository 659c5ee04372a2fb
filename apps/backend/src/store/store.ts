import { randomUUID } from "node:crypto";
import type {
  ExperimentDocument,
  RunEvent,
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
import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from "kysely";
import type { Database } from "./db.js";
import type { Tables } from "./tables.js";

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
  /** The `nepi worker` holding it (none: the in-process worker, or not taken yet). */
  workerId?: string;
}

/** One row of run_events: a resource transition or a run status change. */
export type StoredEvent =
  | { seq: number; kind: "transition"; event: StateEvent }
  | { seq: number; kind: "status"; status: RunStatus; at: number; reason?: string; missingTraces?: MissingTrace[] }
  | { seq: number; kind: "gate"; gate: GateEvent };

type RunRow = Selectable<Tables["runs"]>;
type EventRow = Omit<Selectable<Tables["run_events"]>, "run_id">;
type EventInsert = Insertable<Tables["run_events"]>;
/** A queued write of run state, applied in order within the next batch's transaction. */
type Write = (trx: Transaction<Tables>) => Promise<unknown>;

/** The columns of run_events, in the order `insertEvents` sends them. */
const EVENT_COLUMNS = [
  "run_id",
  "seq",
  "kind",
  "guid",
  "state",
  "previous",
  "at",
  "reason",
  "missing_traces",
  "attempt",
  "gate",
] as const;

/**
 * The store: experiments, runs, their events and trace index, in SQLite or PostgreSQL (one
 * query layer, Kysely). Every write of something the user saved is one transaction. What a
 * live run records (its events, status, traces) is queued and written in batches: `flush()`
 * writes everything queued in one transaction, so a burst of thousands of transitions costs
 * one commit. Reads flush first: they see every write queued before them.
 */
export class Store {
  private events: EventInsert[] = [];
  private writes: Write[] = [];
  /** The batch being written: the next one starts once it is done. */
  private writing: Promise<void> = Promise.resolve();
  /** Batches that failed so far, and the last one's error: a flush waiting on them reports it. */
  private failures = 0;
  private lastFailure: unknown;
  private readonly db: Kysely<Tables>;

  constructor(readonly database: Database) {
    this.db = database.db;
  }

  // ---- experiments -------------------------------------------------------------------------

  async listExperiments(): Promise<ExperimentSummary[]> {
    const rows = await this.db
      .selectFrom("experiments")
      .select(["id", "name", "document", "example", "created_at", "updated_at"])
      .orderBy("updated_at", "desc")
      .orderBy("id")
      .execute();
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

  async getExperiment(id: string): Promise<StoredExperiment | undefined> {
    const r = await this.db
      .selectFrom("experiments")
      .select(["id", "document", "created_at", "updated_at"])
      .where("id", "=", id)
      .executeTakeFirst();
    if (!r) return undefined;
    return { id: r.id, document: JSON.parse(r.document) as ExperimentDocument, createdAt: r.created_at, updatedAt: r.updated_at };
  }

  /**
   * Creates the experiment (a new id) or replaces the saved one; returns its id. `example`
   * marks a new one as seeded from the examples (a replaced one keeps its mark).
   */
  async saveExperiment(document: ExperimentDocument, id?: string, opts: { example?: boolean } = {}): Promise<string> {
    const now = Date.now();
    const json = JSON.stringify(document);
    if (id !== undefined) {
      const { numUpdatedRows } = await this.db
        .updateTable("experiments")
        .set({ name: document.name, document: json, updated_at: now })
        .where("id", "=", id)
        .executeTakeFirst();
      if (numUpdatedRows === 1n) return id;
    }
    const newId = id ?? randomUUID();
    await this.db
      .insertInto("experiments")
      .values({ id: newId, name: document.name, document: json, example: opts.example ? 1 : 0, created_at: now, updated_at: now })
      .execute();
    return newId;
  }

  async deleteExperiment(id: string): Promise<boolean> {
    const { numDeletedRows } = await this.db.deleteFrom("experiments").where("id", "=", id).executeTakeFirst();
    return numDeletedRows === 1n;
  }

  async experimentCount(): Promise<number> {
    const r = await this.db
      .selectFrom("experiments")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  // ---- runs --------------------------------------------------------------------------------

  async createRun(runId: string, experimentId: string, document: ExperimentDocument, startedAt: number): Promise<void> {
    this.queue((trx) =>
      trx
        .insertInto("runs")
        .values({
          id: runId,
          experiment_id: experimentId,
          experiment_name: document.name,
          document: JSON.stringify(document),
          status: "RUNNING",
          reason: null,
          started_at: startedAt,
          ended_at: null,
          released_at: null,
          leftovers: null,
        })
        .execute(),
    );
    await this.flush();
  }

  async getRun(runId: string): Promise<StoredRun | undefined> {
    await this.flush();
    const r = await this.db.selectFrom("runs").selectAll().where("id", "=", runId).executeTakeFirst();
    return r && toRun(r);
  }

  async listRuns(experimentId?: string): Promise<StoredRun[]> {
    await this.flush();
    let q = this.db.selectFrom("runs").selectAll();
    if (experimentId !== undefined) q = q.where("experiment_id", "=", experimentId);
    return (await q.orderBy("started_at", "desc").orderBy("id").execute()).map(toRun);
  }

  /**
   * Runs that had a live controller when the server last stopped (none after a clean exit):
   * the in-process worker's, or those `workerId` holds.
   */
  async activeRuns(workerId: string | null = null): Promise<StoredRun[]> {
    await this.flush();
    const rows = await this.db
      .selectFrom("runs")
      .selectAll()
      .where("released_at", "is", null)
      .where("status", "!=", "INTERRUPTED")
      .where("worker_id", workerId === null ? "is" : "=", workerId)
      .execute();
    return rows.map(toRun);
  }

  /**
   * Hands the run to `to` (null: nobody) if `from` holds it (null: nobody yet) and it is not released;
   * true when it did. Of several workers trying at once, one succeeds.
   */
  async moveRun(runId: string, from: string | null, to: string | null): Promise<boolean> {
    await this.flush();
    const { numUpdatedRows } = await this.db
      .updateTable("runs")
      .set({ worker_id: to })
      .where("id", "=", runId)
      .where("worker_id", from === null ? "is" : "=", from)
      .where("released_at", "is", null)
      .executeTakeFirst();
    return numUpdatedRows === 1n;
  }

  // ---- workers -----------------------------------------------------------------------------

  /** A worker says it is alive (the first time, who and where it is). */
  async heartbeat(worker: { id: string; host: string; pid: number }, at: number): Promise<void> {
    await this.db
      .insertInto("workers")
      .values({ ...worker, heartbeat_at: at })
      .onConflict((oc) => oc.column("id").doUpdateSet({ heartbeat_at: at }))
      .execute();
  }

  /** Workers whose last heartbeat is older than `before` (ms): dead, or gone. */
  async silentWorkers(before: number): Promise<Array<{ id: string; host: string; pid: number }>> {
    return this.db.selectFrom("workers").select(["id", "host", "pid"]).where("heartbeat_at", "<", before).execute();
  }

  async removeWorker(id: string): Promise<void> {
    await this.db.deleteFrom("workers").where("id", "=", id).execute();
  }

  /** Queues the run's new status (`endedAt` when it ended; kept otherwise). */
  setRunStatus(runId: string, status: RunStatus, reason: string | undefined, endedAt: number | undefined): void {
    this.queue((trx) =>
      trx
        .updateTable("runs")
        .set((eb) => ({ status, reason: reason ?? null, ended_at: endedAt ?? eb.ref("ended_at") }))
        .where("id", "=", runId)
        .execute(),
    );
  }

  setRunReleased(runId: string, at: number): void {
    this.queue((trx) => trx.updateTable("runs").set({ released_at: at }).where("id", "=", runId).execute());
  }

  setLeftovers(runId: string, leftovers: Leftover[]): void {
    this.queue((trx) =>
      trx
        .updateTable("runs")
        .set({ leftovers: JSON.stringify(leftovers) })
        .where("id", "=", runId)
        .execute(),
    );
  }

  // ---- events ------------------------------------------------------------------------------

  /** Queues an event for the next batched write. */
  appendEvent(runId: string, e: StoredEvent): void {
    const row: EventInsert = {
      run_id: runId,
      seq: e.seq,
      kind: e.kind,
      guid: null,
      state: "",
      previous: null,
      at: 0,
      reason: null,
      missing_traces: null,
      attempt: null,
      gate: null,
    };
    if (e.kind === "transition") {
      const t = e.event;
      Object.assign(row, {
        guid: t.guid,
        state: t.state,
        previous: t.previous,
        at: t.at,
        reason: t.reason ?? null,
        attempt: t.attempt ?? null,
      });
    } else if (e.kind === "gate") {
      Object.assign(row, { state: e.gate.status, at: e.gate.at, gate: JSON.stringify(e.gate) });
    } else {
      const missing = e.missingTraces?.length ? JSON.stringify(e.missingTraces) : null;
      Object.assign(row, { state: e.status, at: e.at, reason: e.reason ?? null, missing_traces: missing });
    }
    this.events.push(row);
  }

  private queue(write: Write): void {
    this.writes.push(write);
  }

  /**
   * Writes everything queued by the time the write before it is done, in one transaction;
   * resolves once what was queued before the call is committed (rejects when a batch failed
   * meanwhile: nothing of that batch was). Under load the batches grow, not their number.
   */
  flush(): Promise<void> {
    const failures = this.failures;
    const batch = this.writing.then(async () => {
      await this.writePending();
      if (this.failures !== failures) throw this.lastFailure;
    });
    this.writing = batch.catch(() => undefined);
    return batch;
  }

  private async writePending(): Promise<void> {
    const events = this.events;
    const writes = this.writes;
    if (events.length === 0 && writes.length === 0) return;
    this.events = [];
    this.writes = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        // The run rows first: a new run's events and status belong to it.
        for (const w of writes) await w(trx);
        if (events.length) await this.insertEvents(trx, events);
      });
    } catch (err) {
      this.failures++;
      this.lastFailure = err;
    }
  }

  /**
   * Inserts a batch of events as one parameter, the rows as JSON arrays, which the database
   * unpacks: a burst of thousands costs one statement and no per-value work in the query layer.
   */
  private async insertEvents(trx: Transaction<Tables>, rows: EventInsert[]): Promise<void> {
    const json = JSON.stringify(rows.map((r) => EVENT_COLUMNS.map((c) => r[c] ?? null)));
    if (this.database.dialect === "postgres") {
      await sql`INSERT INTO run_events (run_id, seq, kind, guid, state, previous, at, reason, missing_traces, attempt, gate)
        SELECT e->>0, (e->>1)::integer, e->>2, (e->>3)::integer, e->>4, e->>5, (e->>6)::double precision,
               e->>7, e->>8, (e->>9)::integer, e->>10
        FROM json_array_elements(${json}::json) AS e`.execute(trx);
    } else {
      await sql`INSERT INTO run_events (run_id, seq, kind, guid, state, previous, at, reason, missing_traces, attempt, gate)
        SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6,
               value->>7, value->>8, value->>9, value->>10
        FROM json_each(${json})`.execute(trx);
    }
  }

  /** Several runs' events, each run's above its own sequence number, in order per run. */
  async eventsOfRunsAfter(after: ReadonlyMap<string, number>): Promise<Map<string, StoredEvent[]>> {
    await this.flush();
    const out = new Map<string, StoredEvent[]>();
    if (after.size === 0) return out;
    const rows = await this.db
      .selectFrom("run_events")
      .select(["run_id", "seq", "kind", "guid", "state", "previous", "at", "reason", "missing_traces", "attempt", "gate"])
      .where((eb) => eb.or([...after].map(([runId, seq]) => eb.and([eb("run_id", "=", runId), eb("seq", ">", seq)]))))
      .orderBy("run_id")
      .orderBy("seq")
      .execute();
    for (const r of rows) {
      let list = out.get(r.run_id);
      if (!list) out.set(r.run_id, (list = []));
      list.push(toEvent(r));
    }
    return out;
  }

  /** The run's events with a sequence number above `afterSeq`, in order. */
  async eventsAfter(runId: string, afterSeq: number): Promise<StoredEvent[]> {
    await this.flush();
    const rows = await this.db
      .selectFrom("run_events")
      .select(["seq", "kind", "guid", "state", "previous", "at", "reason", "missing_traces", "attempt", "gate"])
      .where("run_id", "=", runId)
      .where("seq", ">", afterSeq)
      .orderBy("seq")
      .execute();
    return rows.map(toEvent);
  }

  /** Every resource's last recorded state in a run. */
  async latestStates(runId: string): Promise<ResourceRunState[]> {
    await this.flush();
    const last = this.db
      .selectFrom("run_events")
      .select(["guid", (eb) => eb.fn.max("seq").as("seq")])
      .where("run_id", "=", runId)
      .where("kind", "=", "transition")
      .groupBy("guid")
      .as("last");
    const rows = await this.db
      .selectFrom("run_events as e")
      .innerJoin(last, (j) => j.onRef("e.guid", "=", "last.guid").onRef("e.seq", "=", "last.seq"))
      .select(["e.guid", "e.state", "e.at", "e.reason"])
      .where("e.run_id", "=", runId)
      .orderBy("e.guid")
      .execute();
    return rows.map((r) => ({
      guid: r.guid!,
      state: r.state as ResourceState,
      at: r.at,
      ...(r.reason !== null ? { reason: r.reason } : {}),
    }));
  }

  async lastSeq(runId: string): Promise<number> {
    await this.flush();
    const r = await this.db
      .selectFrom("run_events")
      .select((eb) => eb.fn.max("seq").as("seq"))
      .where("run_id", "=", runId)
      .executeTakeFirst();
    return r?.seq ?? 0;
  }

  /** The run was once marked INTERRUPTED (a crash stopped it), whatever its status now. */
  async wasInterrupted(runId: string): Promise<boolean> {
    await this.flush();
    const r = await this.db
      .selectFrom("run_events")
      .select("seq")
      .where("run_id", "=", runId)
      .where("kind", "=", "status")
      .where("state", "=", "INTERRUPTED")
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  }

  // ---- traces ------------------------------------------------------------------------------

  /** Queues where a kept trace is and how big it is now. */
  recordTrace(runId: string, guid: number, name: string, path: string, size: number): void {
    this.queue((trx) =>
      trx
        .insertInto("run_traces")
        .values({ run_id: runId, guid, name, path, size })
        .onConflict((oc) =>
          oc
            .columns(["run_id", "guid", "name"])
            .doUpdateSet((eb) => ({ path: eb.ref("excluded.path"), size: eb.ref("excluded.size") })),
        )
        .execute(),
    );
  }

  async getTrace(runId: string, guid: number, name: string): Promise<{ path: string; size: number } | undefined> {
    await this.flush();
    return this.db
      .selectFrom("run_traces")
      .select(["path", "size"])
      .where("run_id", "=", runId)
      .where("guid", "=", guid)
      .where("name", "=", name)
      .executeTakeFirst();
  }

  async listTraces(runId: string): Promise<RunTraceInfo[]> {
    await this.flush();
    return this.db
      .selectFrom("run_traces")
      .select(["guid", "name", "size"])
      .where("run_id", "=", runId)
      .orderBy("guid")
      .orderBy("name")
      .execute();
  }

  // ---- meta --------------------------------------------------------------------------------

  async getMeta(key: string): Promise<string | undefined> {
    return (await this.db.selectFrom("meta").select("value").where("key", "=", key).executeTakeFirst())?.value;
  }

  /** Sets `key` unless it is set; true when this call set it (of processes racing, one wins). */
  async claimMeta(key: string, value: string): Promise<boolean> {
    const r = await this.db
      .insertInto("meta")
      .values({ key, value })
      .onConflict((oc) => oc.column("key").doNothing())
      .executeTakeFirst();
    return r.numInsertedOrUpdatedRows === 1n;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.db
      .insertInto("meta")
      .values({ key, value })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value }))
      .execute();
  }

  /** Writes what is queued, then closes the database. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.database.close();
    }
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
    ...(r.worker_id !== null ? { workerId: r.worker_id } : {}),
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

/** A stored event as subscribers receive it. */
export function toRunEvent(e: StoredEvent): RunEvent {
  if (e.kind === "gate") return { type: "gate", seq: e.seq, gate: e.gate };
  return e.kind === "transition"
    ? { type: "transition", seq: e.seq, event: e.event }
    : {
        type: "status",
        seq: e.seq,
        status: e.status,
        at: e.at,
        ...(e.reason !== undefined ? { reason: e.reason } : {}),
        ...(e.missingTraces ? { missingTraces: e.missingTraces } : {}),
      };
}
