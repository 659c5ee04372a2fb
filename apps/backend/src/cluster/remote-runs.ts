import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import type PgBoss from "pg-boss";
import type { RunEvent } from "@nepi/core";
import type { ControlAction, RunsElsewhere } from "../runs/run-manager.js";
import { toRunEvent, type Store } from "../store/store.js";
import { CHANNELS, type Notifications } from "./notifications.js";
import { PendingReplies } from "./pending-replies.js";
import { ControlReplySchema, EventsNoticeSchema, RUN_QUEUE, type ControlRequest, type RunJob } from "./protocol.js";

/** How long an API server waits for the worker holding a run to answer. */
const CONTROL_TIMEOUT_MS = 120_000;

interface Watcher {
  after: number;
  onEvent: (e: RunEvent) => void;
  onClosed: () => void;
  reading: boolean;
  again: boolean;
  /** Whether the run may be over: read the run too (first read, or a worker's closing notice). */
  check: boolean;
  done: boolean;
}

/**
 * An API server's side of the runs kept by workers: it queues runs (pg-boss), asks the worker
 * holding a run to act on it (NOTIFY, answered by NOTIFY), and follows runs' events — a
 * worker's notice wakes each watcher, which reads what was stored after the last event it
 * delivered: in order, none lost, none twice, whichever API server it is connected to.
 */
export class RemoteRuns implements RunsElsewhere {
  private readonly replies = new PendingReplies();
  private readonly watchers = new Map<string, Set<Watcher>>();
  /** Runs with news not read yet, and whether the shared read is under way. */
  private readonly dirty = new Set<string>();
  private batchReading = false;

  constructor(
    private readonly store: Store,
    private readonly notifications: Notifications,
    private readonly boss: PgBoss,
  ) {
    notifications.on(CHANNELS.events, (payload) => {
      const notice = EventsNoticeSchema.safeParse(payload);
      if (!notice.success) return;
      if (notice.data.closed) {
        for (const runId of notice.data.runIds) for (const w of this.watchers.get(runId) ?? []) this.read(runId, w, true);
      } else {
        for (const runId of notice.data.runIds) if (this.watchers.has(runId)) this.dirty.add(runId);
        this.readNews();
      }
    });
    notifications.on(CHANNELS.reply, (payload) => {
      const reply = ControlReplySchema.safeParse(payload);
      if (reply.success) this.replies.settle(reply.data);
    });
  }

  async dispatch(runId: string, guids: readonly number[] | undefined): Promise<void> {
    const job: RunJob = { runId, ...(guids ? { guids: [...guids] } : {}) };
    await this.boss.send(RUN_QUEUE, job);
    await this.notifications.notify(CHANNELS.jobs, {});
  }

  async control(runId: string, action: ControlAction, guid?: number): Promise<unknown> {
    const run = await this.store.getRun(runId);
    if (run && run.workerId === undefined) {
      throw new TRPCError({ code: "CONFLICT", message: `run "${runId}" is waiting for a worker: try again once it is deployed` });
    }
    const request: ControlRequest = { id: randomUUID(), runId, action, ...(guid !== undefined ? { guid } : {}) };
    const answer = this.replies.wait(request.id, CONTROL_TIMEOUT_MS, `no worker answered for run "${runId}" (${action})`);
    await this.notifications.notify(CHANNELS.control, request);
    return answer;
  }

  watch(runId: string, after: number, onEvent: (e: RunEvent) => void, onClosed: () => void): () => void {
    const w: Watcher = { after, onEvent, onClosed, reading: false, again: false, check: true, done: false };
    let set = this.watchers.get(runId);
    if (!set) this.watchers.set(runId, (set = new Set()));
    set.add(w);
    const unwatch = () => {
      w.done = true;
      set.delete(w);
      if (set.size === 0) this.watchers.delete(runId);
    };
    // What was stored between the caller's read and now (no notice will say so).
    this.read(runId, w, true);
    return unwatch;
  }

  /**
   * One query for every run with news (and whatever more comes while it runs: the next
   * query takes it), delivered to each watcher after its own last event. Under load the
   * reads grow bigger, not more numerous.
   */
  private readNews(): void {
    if (this.batchReading || this.dirty.size === 0) return;
    this.batchReading = true;
    void (async () => {
      try {
        while (this.dirty.size > 0) {
          const after = new Map<string, number>();
          for (const runId of this.dirty) {
            const idle: Watcher[] = [];
            // A watcher reading on its own reads again once done: it takes this news then.
            for (const w of this.watchers.get(runId) ?? [])
              if (w.reading) w.again = true;
              else idle.push(w);
            if (idle.length) after.set(runId, Math.min(...idle.map((w) => w.after)));
          }
          this.dirty.clear();
          const news = await this.store.eventsOfRunsAfter(after);
          for (const [runId, events] of news) {
            for (const w of this.watchers.get(runId) ?? []) {
              if (w.reading) {
                w.again = true;
                continue;
              }
              for (const e of events) {
                if (w.done) break;
                if (e.seq <= w.after) continue;
                w.after = e.seq;
                w.onEvent(toRunEvent(e));
              }
            }
          }
        }
      } catch {
        // The database is unreachable: end the streams; each subscriber resumes from its last event id.
        for (const set of this.watchers.values()) for (const w of set) if (!w.done) w.onClosed();
      } finally {
        this.batchReading = false;
      }
    })();
  }

  /** Delivers what was stored after the watcher's last event; one read at a time per watcher. */
  private read(runId: string, w: Watcher, check: boolean): void {
    if (check) w.check = true;
    if (w.reading) {
      w.again = true;
      return;
    }
    w.reading = true;
    void (async () => {
      try {
        do {
          w.again = false;
          const checking = w.check;
          w.check = false;
          const run = checking ? await this.store.getRun(runId) : undefined;
          for (const e of await this.store.eventsAfter(runId, w.after)) {
            if (w.done) return;
            if (e.seq <= w.after) continue;
            w.after = e.seq;
            w.onEvent(toRunEvent(e));
          }
          // Its controller is gone, and no worker is cleaning up after it (read before the
          // events: those of its end are delivered).
          if (
            checking &&
            (!run || run.releasedAt !== undefined || (run.status === "INTERRUPTED" && run.workerId === undefined))
          ) {
            if (!w.done) w.onClosed();
            return;
          }
        } while (w.again && !w.done);
      } catch {
        // The database is unreachable: end the stream; the subscriber resumes from its last event id.
        if (!w.done) w.onClosed();
      } finally {
        w.reading = false;
      }
    })();
  }

  /** Refuses what still waits for an answer (the server is closing). */
  close(): void {
    this.replies.rejectAll();
  }
}
