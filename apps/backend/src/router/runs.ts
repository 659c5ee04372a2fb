import { tracked, TRPCError } from "@trpc/server";
import { z } from "zod";
import type { RunEvent, RunEventBatch, TraceChunk } from "@nepi/core";
import type { Context } from "./context.js";
import { AsyncQueue } from "../runs/async-queue.js";
import { readTraceFile } from "../runs/trace-file.js";
import { toRunEvent } from "../store/store.js";
import type { ActiveRun } from "../runs/active-run.js";
import { IdSchema } from "./experiments.js";
import { procedure, router } from "./trpc.js";
import { EventId, openEventFeed, type FeedSource } from "./event-feed.js";

const RunRef = z.object({ runId: IdSchema });
const Guid = z.number().int().positive("expected a guid (positive integer)");
/** A run's events as a feed (see openEventFeed). */
function runFeed(ctx: Context, runId: string): FeedSource<RunEvent> {
  return {
    watch: (onEvent, onClosed) => ctx.runs.watch(runId, onEvent, onClosed),
    snapshot: () => ctx.runs.snapshot(runId),
    eventsAfter: async (seq) => {
      if (!(await ctx.store.getRun(runId))) throw new TRPCError({ code: "NOT_FOUND", message: `run "${runId}" does not exist` });
      return (await ctx.store.eventsAfter(runId, seq)).map(toRunEvent);
    },
    watchElsewhere: (after, onEvent, onEnd) => ctx.runs.watchElsewhere(runId, after, onEvent, onEnd),
  };
}

export const runsRouter = router({
  /**
   * Deploys a saved experiment with its own controller; returns at once. `guids`: deploy only
   * these (and what they deploy after); the others stay NEW.
   */
  start: procedure
    .input(
      z.object({ experimentId: IdSchema, guids: z.array(Guid).min(1, "expected at least one guid").max(100_000).optional() }),
    )
    .mutation(async ({ ctx, input }) => ({ runId: await ctx.runs.start(input.experimentId, input.guids) })),

  /**
   * Releases one resource of a running run and what runs on it (a node's applications), and
   * deploys them again under the design's rules; resolves once they are deploying again.
   */
  redeploy: procedure.input(z.object({ runId: IdSchema, guid: Guid })).mutation(async ({ ctx, input }) => {
    await ctx.runs.redeploy(input.runId, input.guid);
    return { runId: input.runId, guid: input.guid };
  }),

  /** Stops every running resource of the run (the run becomes STOPPED). */
  stop: procedure.input(RunRef).mutation(async ({ ctx, input }) => {
    await ctx.runs.stop(input.runId);
    return { runId: input.runId };
  }),

  /**
   * "Retry failed": re-runs every FAILED resource of a live run, and what failed because of it,
   * in the same run, without redeploying what is fine; the run is RUNNING again until they settle.
   */
  retryFailed: procedure
    .input(RunRef)
    .mutation(async ({ ctx, input }) => ({ runId: input.runId, guids: await ctx.runs.retryFailed(input.runId) })),

  /** Releases everything the run holds (processes, files), then frees its controller. */
  release: procedure.input(RunRef).mutation(async ({ ctx, input }) => {
    await ctx.runs.release(input.runId);
    return { runId: input.runId };
  }),

  /** The runs of an experiment (or all runs), newest first. */
  list: procedure
    .input(z.object({ experimentId: IdSchema.optional() }).optional())
    .query(({ ctx, input }) => ctx.runs.list(input?.experimentId)),

  /** A run: the document as run, status, every resource's state and reason, the timeline, its traces. */
  get: procedure.input(RunRef).query(({ ctx, input }) => ctx.runs.get(input.runId)),

  /** A released run's manifest: the document as run (resolved, credentials redacted) and each machine's facts. */
  manifest: procedure.input(RunRef).query(({ ctx, input }) => ctx.runs.manifest(input.runId)),

  /** What differs between two released runs: attributes, machine facts, when each state was reached. */
  diff: procedure.input(z.object({ a: IdSchema, b: IdSchema })).query(({ ctx, input }) => ctx.runs.diff(input.a, input.b)),

  /**
   * What each resource of a live run waits for before its next state, in words and as data
   * (`ec.waitingOn`): the designer asks again on state and gate events, never on a timer.
   */
  waitingOn: procedure.input(RunRef).query(({ ctx, input }) => ctx.runs.waitingOn(input.runId)),

  /** Releases what an INTERRUPTED run (server killed) left deployed. */
  cleanup: procedure.input(RunRef).mutation(({ ctx, input }) => ctx.runs.cleanup(input.runId)),

  /**
   * A snapshot of every resource's state, then every transition and status change in order.
   * Each event's id is its `seq`: resubscribing with `lastEventId` resumes right after it.
   * The stream ends once the run is released (or at once for a run with no controller).
   */
  events: procedure.input(z.object({ runId: IdSchema, lastEventId: EventId })).subscription(async ({ ctx, input, signal }) => {
    const feed = await openEventFeed(ctx, runFeed(ctx, input.runId), input.lastEventId, signal);
    // One message per event: queued events are handed over without a turn each.
    return feed.queue.map((e) => tracked(String(e.seq), e), feed.close);
  }),

  /**
   * The same events as `runs.events`, grouped: each message holds every event that happened
   * in one turn of the server's event loop (a burst of a thousand transitions is one message).
   * Its id is the `seq` of its last event; `lastEventId` resumes after it.
   */
  eventBatches: procedure.input(z.object({ runId: IdSchema, lastEventId: EventId })).subscription(async function* ({
    ctx,
    input,
    signal,
  }) {
    const feed = await openEventFeed(ctx, runFeed(ctx, input.runId), input.lastEventId, signal);
    try {
      for (let batch = await feed.queue.takeAll(); batch; batch = await feed.queue.takeAll()) {
        const events: RunEventBatch = { seq: batch.at(-1)!.seq, events: batch };
        yield tracked(String(events.seq), events);
      }
    } finally {
      feed.close();
    }
  }),

  /**
   * A trace's content from byte `offset` on, in chunks as they are produced (live run) or read
   * from the run's copy (finished run; the last chunk has `end: true`). Each chunk's id is the
   * byte offset after it: resubscribing with `lastEventId` resumes there.
   */
  trace: procedure
    .input(
      z.object({
        runId: IdSchema,
        guid: z.number().int().positive("expected a guid (positive integer)"),
        name: z.string().min(1, "expected a trace name").max(500),
        offset: z.number().int().min(0).optional(),
        lastEventId: EventId,
      }),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      const start = input.lastEventId != null ? Number(input.lastEventId) : (input.offset ?? 0);
      const live = ctx.runs.live(input.runId);
      const endSubscription = ctx.connection.openSubscription();
      try {
        yield* live && !live.closed ? followLiveTrace(ctx, live, input, start, signal) : readKeptTrace(ctx, input, start);
      } finally {
        endSubscription();
      }
    }),
});

interface TraceRef {
  runId: string;
  guid: number;
  name: string;
}

/** A trace of a run that has its controller: the engine's chunks as they are produced. */
async function* followLiveTrace(ctx: Context, live: ActiveRun, input: TraceRef, start: number, signal: AbortSignal | undefined) {
  const queue = new AsyncQueue<TraceChunk>();
  let failure: Error | undefined;
  const unfollow = live.followTrace(
    input.guid,
    input.name,
    start,
    (data, offset) => queue.push({ offset, data }),
    (err) => {
      failure = err;
      queue.end();
    },
  );
  const onClosed = () => queue.end();
  live.events.once("closed", onClosed);
  signal?.addEventListener("abort", onClosed, { once: true });
  let next = start;
  const done = ctx.streams.open();
  try {
    for await (const chunk of queue) {
      next = chunk.offset + Buffer.byteLength(chunk.data);
      yield tracked(String(next), chunk);
    }
    if (failure) {
      throw new TRPCError({
        code: "PRECONDITION_FAILED",
        message: `trace "${input.name}" of resource ${input.guid}: ${failure.message}`,
        cause: failure,
      });
    }
    if (!signal?.aborted) yield tracked(String(next), { offset: next, data: "", end: true } satisfies TraceChunk);
  } finally {
    done();
    unfollow();
    live.events.off("closed", onClosed);
    signal?.removeEventListener("abort", onClosed);
  }
}

/** A trace of a finished run, from the run's copy on disk, read as fast as the client takes it. */
async function* readKeptTrace(ctx: Context, input: TraceRef, start: number) {
  const run = await ctx.store.getRun(input.runId);
  if (!run) throw new TRPCError({ code: "NOT_FOUND", message: `run "${input.runId}" does not exist` });
  const file = await ctx.store.getTrace(input.runId, input.guid, input.name);
  if (!file) {
    throw new TRPCError({
      code: "NOT_FOUND",
      message: `run "${input.runId}" kept no trace "${input.name}" of resource ${input.guid}`,
    });
  }
  let offset: number;
  try {
    const chunks = readTraceFile(file.path, start, () => ctx.connection.drained());
    for (let r = await chunks.next(); ; r = await chunks.next()) {
      if (r.done) {
        offset = r.value;
        break;
      }
      yield tracked(String(r.value.offset + Buffer.byteLength(r.value.data)), r.value);
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new TRPCError({
      code: e.code === "ENOENT" ? "NOT_FOUND" : "INTERNAL_SERVER_ERROR",
      message: `the copy of trace "${input.name}" of resource ${input.guid} cannot be read (${e.code ?? e.message})`,
      cause: err,
    });
  }
  yield tracked(String(offset), { offset, data: "", end: true } satisfies TraceChunk);
}
