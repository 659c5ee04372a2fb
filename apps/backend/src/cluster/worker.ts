import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { TRPCError } from "@trpc/server";
import PgBoss from "pg-boss";
import { RunManager } from "../runs/run-manager.js";
import type { ActiveRun } from "../runs/active-run.js";
import { loadNodeResources } from "../server/engine.js";
import type { Logger } from "../server/log.js";
import { openDatabase } from "../store/db.js";
import { Store } from "../store/store.js";
import { CHANNELS, Notifications } from "./notifications.js";
import { createQueues } from "./queues.js";
import { workerCampaigns } from "./worker-campaigns.js";
import {
  ControlRequestSchema,
  RUN_IDS_PER_NOTICE,
  RUN_QUEUE,
  RunJobSchema,
  type ControlReply,
  type ControlRequest,
} from "./protocol.js";

export interface WorkerOptions {
  /** postgres://… : the store, the queue and the notifications. */
  databaseUrl: string;
  /** Where the runs' files go (run directories, kept traces). */
  dataDir: string;
  log: Logger;
  /** How often the worker says it is alive (default 2 s). */
  heartbeatMs?: number;
  /** A worker silent this long is dead: its runs are interrupted and cleaned up (default 8 s). */
  deadAfterMs?: number;
  /** Runs it holds at once; the queue keeps the others for the next worker free (default 16). */
  maxRuns?: number;
}

export interface RunningWorker {
  id: string;
  /** Stops taking runs and releases those it holds, then closes its connections. */
  close(): Promise<void>;
}

/**
 * `nepi worker`: takes runs from the queue and runs their controllers, writes their events
 * to the database in batches and tells the API servers (NOTIFY); answers stop/release/…
 * for the runs it holds; heartbeats, and cleans up after a worker that stopped heartbeating
 * (its runs become INTERRUPTED, then this worker releases what they left on their hosts).
 */
export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const heartbeatMs = o.heartbeatMs ?? 2_000;
  const deadAfterMs = o.deadAfterMs ?? 8_000;
  const log = o.log;
  await loadNodeResources(log);
  const database = await openDatabase({ dataDir: o.dataDir, url: o.databaseUrl });
  const store = new Store(database);
  const runs = new RunManager(store, join(resolve(o.dataDir), "runs"), log);
  const me = { id: randomUUID(), host: hostname(), pid: process.pid };
  await store.heartbeat(me, Date.now());
  const notifications = await Notifications.connect(o.databaseUrl, database.db, log, [
    CHANNELS.control,
    CHANNELS.campaignControl,
    CHANNELS.jobs,
  ]);
  const boss = new PgBoss({ connectionString: o.databaseUrl, schedule: false, max: 4 });
  boss.on("error", (err: Error) => log(`queue: ${err.message}`, { level: "error", err }));
  await boss.start();
  await createQueues(boss, database.db);

  const inflight = new Set<Promise<void>>();
  const send = (runIds: string[], closed: boolean): Promise<void> => {
    const sent = notifications.notify(CHANNELS.events, { runIds, ...(closed ? { closed } : {}) }).catch((err: Error) => {
      log(`notifying the API servers of runs ${runIds.join(", ")} failed: ${err.message}`, { level: "error" });
    });
    inflight.add(sent);
    void sent.finally(() => inflight.delete(sent));
    return sent;
  };
  const notice = (runId: string, closed = false): Promise<void> => send([runId], closed);

  /** The runs with events stored this turn: one notice for all of them, once the turn ends. */
  const stored = new Set<string>();
  const announce = (run: ActiveRun) => {
    run.events.on("event", () => {
      if (stored.size === 0) {
        setImmediate(() => {
          const ids = [...stored];
          stored.clear();
          for (let i = 0; i < ids.length; i += RUN_IDS_PER_NOTICE) void send(ids.slice(i, i + RUN_IDS_PER_NOTICE), false);
        });
      }
      stored.add(run.runId);
    });
    run.events.once("closed", () => void notice(run.runId, true));
  };

  const maxRuns = o.maxRuns ?? 16;
  let holding = 0;
  let closingDown = false;
  const freed: Array<() => void> = [];
  const take = async (data: unknown) => {
    const job = RunJobSchema.parse(data);
    // A full worker holds one job until a run of its own is released (the others stay queued).
    while (holding >= maxRuns && !closingDown) await new Promise<void>((r) => freed.push(r));
    // Failed, the job goes back to the queue: another worker takes it.
    if (closingDown) throw new Error(`worker ${me.id} is shutting down: run ${job.runId} handed back`);
    if (!(await store.moveRun(job.runId, null, me.id))) return; // stopped or taken meanwhile
    let run: ActiveRun | undefined;
    try {
      run = await runs.adopt(job.runId, job.guids);
    } catch (err) {
      // Not run here after all: back to the queue's next taker (the job is retried).
      await store.moveRun(job.runId, me.id, null);
      throw err;
    }
    if (!run) return;
    holding++;
    run.events.once("closed", () => {
      holding--;
      freed.shift()?.();
    });
    announce(run);
    // What it recorded before `announce` listened (its first turn, a refusal at deploy).
    void notice(run.runId, run.closed);
    log(`run ${job.runId} taken by worker ${me.id}`, { runId: job.runId, worker: me.id });
  };
  const workId = await boss.work(RUN_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, async ([job]) => {
    if (job) await take(job.data);
  });
  const campaigns = await workerCampaigns({
    me,
    database,
    store,
    runs,
    rootDir: join(resolve(o.dataDir), "runs"),
    boss,
    notifications,
    log,
    announceRun: (run) => {
      announce(run);
      void notice(run.runId, run.closed);
    },
    track: (sent) => {
      inflight.add(sent);
      void sent.finally(() => inflight.delete(sent));
    },
    closingDown: () => closingDown,
  });
  notifications.on(CHANNELS.jobs, () => {
    boss.notifyWorker(workId);
    boss.notifyWorker(campaigns.workId);
  });

  const control = async (request: ControlRequest): Promise<unknown> => {
    switch (request.action) {
      case "stop":
        return runs.stop(request.runId);
      case "release":
        return runs.release(request.runId);
      case "redeploy":
        return runs.redeploy(request.runId, request.guid ?? 0);
      case "retryFailed":
        return runs.retryFailed(request.runId);
    }
  };
  notifications.on(CHANNELS.control, (payload) => {
    const parsed = ControlRequestSchema.safeParse(payload);
    // Another worker's run: it answers.
    if (!parsed.success || !runs.live(parsed.data.runId)) return;
    const request = parsed.data;
    void control(request)
      .then(
        (answer) => notifications.notify(CHANNELS.reply, { id: request.id, ok: true, answer } satisfies ControlReply),
        (err: Error) =>
          notifications.notify(CHANNELS.reply, {
            id: request.id,
            ok: false,
            code: err instanceof TRPCError ? err.code : "INTERNAL_SERVER_ERROR",
            message: err.message,
          } satisfies ControlReply),
      )
      .catch((err: Error) =>
        log(`answering ${request.action} of run ${request.runId} failed: ${err.message}`, { level: "error" }),
      );
  });

  /** Interrupts the runs of workers that stopped heartbeating and releases what they left. */
  const recoverDead = async () => {
    for (const dead of await store.silentWorkers(Date.now() - deadAfterMs)) {
      if (dead.id === me.id) continue;
      // Its campaigns first: their run under way is cleaned up below with its other runs.
      await campaigns.recoverDead(dead);
      for (const run of await store.activeRuns(dead.id)) {
        // Of the workers noticing at once, the one that takes the run over cleans it up.
        if (!(await store.moveRun(run.runId, dead.id, me.id))) continue;
        await runs.interrupt(run, `worker ${dead.id} (${dead.host}, pid ${dead.pid})`, `worker ${me.id} releases them`);
        await notice(run.runId);
        try {
          await runs.cleanup(run.runId);
        } catch (err) {
          log(`run ${run.runId}: cleanup after worker ${dead.id} failed: ${(err as Error).message}`, { level: "error" });
          // Nobody holds it now: INTERRUPTED, for runs.cleanup by hand.
          await store.moveRun(run.runId, me.id, null);
        }
        await notice(run.runId, true);
      }
      if ((await store.activeRuns(dead.id)).length === 0 && !(await campaigns.holds(dead.id))) await store.removeWorker(dead.id);
    }
  };
  let ticking: Promise<void> | undefined;
  const timer = setInterval(() => {
    // A heartbeat is a clock by nature; one tick at a time (a long cleanup delays the next).
    ticking ??= (async () => {
      try {
        await store.heartbeat(me, Date.now());
        await recoverDead();
      } catch (err) {
        log(`heartbeat failed: ${(err as Error).message}`, { level: "error" });
      } finally {
        ticking = undefined;
      }
    })();
  }, heartbeatMs);

  log(`worker ${me.id} is taking runs`, { worker: me.id, host: me.host, pid: me.pid });
  let closing: Promise<void> | undefined;
  return {
    id: me.id,
    close: () =>
      (closing ??= (async () => {
        // Take nothing more, hand back the job waiting for room, release what it holds
        // (subscribers see it released), then go.
        closingDown = true;
        for (const wake of freed.splice(0)) wake();
        await boss.offWork(RUN_QUEUE);
        // Its campaigns first: each releases its run under way and ends INTERRUPTED (resumable).
        await campaigns.close();
        await runs.shutdown("released when its worker shut down");
        clearInterval(timer);
        await ticking;
        await Promise.all(inflight);
        await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
        await notifications.close();
        await store.removeWorker(me.id).catch(() => undefined);
        await store.close();
      })()),
  };
}
