import { z } from "zod";
import { StateEventSchema } from "./events.js";
import { ResourceStateSchema } from "./state-schemas.js";
import { GateEventSchema, WaitReasonSchema } from "./waiting.js";

/**
 * Runs as the backend keeps them, shared by the backend's API and the web app.
 *
 * RUNNING: the controller deploys/runs the design. FINISHED: every resource that ends by itself
 * ended (the rest stays deployed until released). FINISHED_WITH_FAILURES: the same, but some
 * non-critical resources FAILED (the rest went on; "Retry failed" can re-run them). STOPPED: the user stopped the run. FAILED: the
 * experiment failed (the controller released what it started). RELEASED: the user released it.
 * INTERRUPTED: the server died while the run was active; `runs.cleanup` ends what it left.
 */
export const RunStatus = {
  RUNNING: "RUNNING",
  FINISHED: "FINISHED",
  FINISHED_WITH_FAILURES: "FINISHED_WITH_FAILURES",
  STOPPED: "STOPPED",
  FAILED: "FAILED",
  RELEASED: "RELEASED",
  INTERRUPTED: "INTERRUPTED",
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];
export const RUN_STATUSES = Object.values(RunStatus) as RunStatus[];
export const RunStatusSchema = z.enum(RUN_STATUSES as [RunStatus, ...RunStatus[]]);

/** What the API returns in place of a credential value, and what an export writes. */
export const CREDENTIAL_PLACEHOLDER = "<credential not exported>";

export const ExperimentSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  resourceCount: z.number().int(),
  /** Seeded from the examples the server ships (not saved by a user). */
  example: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type ExperimentSummary = z.infer<typeof ExperimentSummarySchema>;

/** One resource's latest state in a run. */
export const ResourceRunStateSchema = z.object({
  guid: z.number().int(),
  state: ResourceStateSchema,
  /** When it reached that state (ms since epoch). */
  at: z.number(),
  reason: z.string().optional(),
  /** A live run: what it waits for before its next state (`ec.waitingOn`); absent when nothing. */
  waitingOn: z.array(WaitReasonSchema).optional(),
});
export type ResourceRunState = z.infer<typeof ResourceRunStateSchema>;

/** What `runs.waitingOn` returns: the resources of a live run that wait on something. */
export const RunWaitingSchema = z.array(z.object({ guid: z.number().int(), waitingOn: z.array(WaitReasonSchema) }));
export type RunWaiting = z.infer<typeof RunWaitingSchema>;

export const RunSummarySchema = z.object({
  runId: z.string(),
  experimentId: z.string(),
  experimentName: z.string(),
  status: RunStatusSchema,
  /** Why the run failed or was interrupted. */
  reason: z.string().optional(),
  startedAt: z.number(),
  /** When the run reached FINISHED/FINISHED_WITH_FAILURES/STOPPED/FAILED/INTERRUPTED. */
  endedAt: z.number().optional(),
  /** When its resources were released (by the user, after a failure, or by `runs.cleanup`). */
  releasedAt: z.number().optional(),
  /** How many resources are in each state. */
  counts: z.record(z.string(), z.number().int()),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;

/** A resource an interrupted run left deployed, and where. */
export const LeftoverSchema = z.object({
  guid: z.number().int(),
  type: z.string(),
  state: ResourceStateSchema,
  host: z.string().optional(),
});
export type Leftover = z.infer<typeof LeftoverSchema>;

export const RunTraceInfoSchema = z.object({ guid: z.number().int(), name: z.string(), size: z.number().int() });
export type RunTraceInfo = z.infer<typeof RunTraceInfoSchema>;

/** An enabled trace that could not be collected at release, and why: data the run lost. */
export const MissingTraceSchema = z.object({ guid: z.number().int(), name: z.string(), reason: z.string() });
export type MissingTrace = z.infer<typeof MissingTraceSchema>;

export const RunDetailSchema = RunSummarySchema.extend({
  /** The design as it was run (credential values replaced by CREDENTIAL_PLACEHOLDER). */
  document: z.unknown(),
  resources: z.array(ResourceRunStateSchema),
  timeline: z.array(StateEventSchema),
  traces: z.array(RunTraceInfoSchema),
  leftovers: z.array(LeftoverSchema),
  /** Enabled traces that could not be collected (none when every trace was kept). */
  missingTraces: z.array(MissingTraceSchema).optional(),
});
export type RunDetail = Omit<z.infer<typeof RunDetailSchema>, "document"> & {
  document: import("./document.js").ExperimentDocument;
};

/**
 * What `runs.events` streams. Each event carries `seq`, also its tracked event id: a client
 * that reconnects with it as `lastEventId` gets every later event, none twice.
 * The first event of a fresh subscription is a snapshot of every resource's state.
 */
export const RunEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("snapshot"),
    seq: z.number().int(),
    status: RunStatusSchema,
    reason: z.string().optional(),
    resources: z.array(ResourceRunStateSchema),
    /** Conditions whose delay is counting down now (a live run). */
    gates: z.array(GateEventSchema).optional(),
  }),
  z.object({ type: z.literal("transition"), seq: z.number().int(), event: StateEventSchema }),
  /** A condition's delay started (`armed`: the designer's countdown) or it opened. */
  z.object({ type: z.literal("gate"), seq: z.number().int(), gate: GateEventSchema }),
  z.object({
    type: z.literal("status"),
    seq: z.number().int(),
    status: RunStatusSchema,
    reason: z.string().optional(),
    at: z.number(),
    /** With the status a release ends on: the enabled traces that could not be collected. */
    missingTraces: z.array(MissingTraceSchema).optional(),
  }),
]);
export type RunEvent = z.infer<typeof RunEventSchema>;

/** What `runs.eventBatches` streams: the events of one turn of the server's loop, in order. */
export const RunEventBatchSchema = z.object({ seq: z.number().int(), events: z.array(RunEventSchema) });
export type RunEventBatch = z.infer<typeof RunEventBatchSchema>;

/** A piece of a trace, from byte `offset`. `end` marks the end of a trace that will not grow. */
export const TraceChunkSchema = z.object({ offset: z.number().int(), data: z.string(), end: z.boolean().optional() });
export type TraceChunk = z.infer<typeof TraceChunkSchema>;
