import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import {
  ExperimentDocumentSchema,
  NepiError,
  readMetrics,
  runCampaign,
  runEnded,
  runVerdict,
  validateDocument,
  type CampaignDetail,
  type CampaignEvent,
  type CampaignJob,
  type CampaignRunRow,
  type CampaignStatus,
  type CampaignSummaryInfo,
  type ExperimentDocument,
  type OneRunResult,
} from "@nepi/core/node";
import type { Logger } from "../server/log.js";
import type { ActiveRun } from "../runs/active-run.js";
import type { RunManager } from "../runs/run-manager.js";
import type { Store } from "../store/store.js";
import type { CampaignStore, StoredCampaign, StoredCampaignRun } from "../store/campaign-store.js";
import { campaignDetail, campaignOf, campaignSummaryInfo, summaryOf, withParameters } from "./campaign-view.js";

/** What a campaign is started from: a saved design with a campaign, or a document. */
export type CampaignSource = { experimentId: string } | { document: ExperimentDocument };

type StatusEvent = Extract<CampaignEvent, { type: "status" }>;

/**
 * Campaigns kept elsewhere: by `nepi worker`s, reached through the database (queue,
 * notifications). An API server started with one runs no campaign itself.
 */
export interface CampaignsElsewhere {
  /** Hands a recorded campaign to a worker: to start, or to resume where it stopped. */
  dispatch(campaignId: string, resume: boolean): Promise<void>;
  /** Asks the worker holding the campaign to stop it; resolves once it ended. */
  stop(campaignId: string): Promise<void>;
  /** Follows the campaign's stored events after `after` until it is no longer running. */
  watch(campaignId: string, after: number, onEvent: (e: CampaignEvent) => void, onClosed: () => void): () => void;
}

export interface CampaignManagerOptions {
  /** Set on an API server whose campaigns are run by workers: it runs none itself. */
  elsewhere?: CampaignsElsewhere;
  /** Set on a `nepi worker`: it holds the campaigns' runs, and tells the API servers of their events. */
  worker?: { id: string; announce(run: ActiveRun): void };
}

/** A campaign being run: its runner's stop switch, its events, the run under way. */
interface LiveCampaign {
  campaignId: string;
  experimentId: string;
  abort: AbortController;
  /** What the campaign ends as when it is stopped before the end (and why). */
  stopAs?: { status: CampaignStatus; reason: string };
  events: EventEmitter;
  seq: number;
  /** Campaign-run numbers, in the order runs started. */
  runSeq: number;
  current?: StoredCampaignRun;
  /** The campaign's writes, one after another: its events are stored (then sent) in order. */
  writes: Promise<void>;
  done: Promise<void>;
}

/**
 * Runs campaigns with core's runner, each repetition a normal run of the run manager (listed,
 * opened and released as any run), one campaign's runs one after another. Keeps every
 * campaign, its runs and its events in the store, so a restarted server lists them. With
 * `elsewhere` (an API server of workers) it records and checks campaigns, and a worker runs them.
 */
export class CampaignManager {
  private readonly active = new Map<string, LiveCampaign>();
  private accepting = true;

  constructor(
    private readonly campaigns: CampaignStore,
    private readonly store: Store,
    private readonly runs: RunManager,
    private readonly rootDir: string,
    private readonly log: Logger,
    private readonly options: CampaignManagerOptions = {},
  ) {}

  private get elsewhere(): CampaignsElsewhere | undefined {
    return this.options.elsewhere;
  }

  /** Checks the document and its campaign, records the campaign and starts its first run; returns at once. */
  async start(source: CampaignSource): Promise<string> {
    this.refuseWhenClosing();
    const { document, experimentId, at } = await this.resolve(source);
    const problems = validateDocument(document)
      .filter((p) => p.severity !== "warning")
      .map((p) => ({ ...p, path: at + p.path }));
    if (problems.length > 0)
      throw new NepiError(
        "INVALID_DOCUMENT",
        `invalid experiment document:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join("\n")}`,
        problems[0]!.path,
        problems,
      );
    const doc = ExperimentDocumentSchema.parse(document);
    const campaignId = randomUUID();
    const expId = experimentId ?? campaignId;
    const dir = join(this.rootDir, expId, `campaign-${campaignId}`);
    await this.campaigns.create({
      campaignId,
      experimentId: expId,
      experimentName: doc.name,
      document: doc,
      dir,
      startedAt: Date.now(),
    });
    if (this.elsewhere) await this.elsewhere.dispatch(campaignId, false);
    else this.launch({ campaignId, experimentId: expId, seq: 0, runSeq: 0 }, doc, { dir });
    this.log(`campaign ${campaignId} of experiment ${expId} ${this.elsewhere ? "queued" : "started"}`, {
      campaignId,
      experimentId: expId,
    });
    return campaignId;
  }

  /**
   * Runs the campaign again where it stopped (STOPPED, INTERRUPTED by a shutdown or a crash, or
   * FAILED): core's runner reads its runs.json and runs only what is missing; returns at once.
   */
  async resume(campaignId: string): Promise<void> {
    this.refuseWhenClosing();
    const c = await this.stored(campaignId);
    if (this.active.has(campaignId) || c.status === "RUNNING" || c.status === "FINISHED" || c.status === "FINISHED_WITH_FAILURES")
      throw new TRPCError({
        code: "CONFLICT",
        message: `cannot resume campaign "${campaignId}": it is ${c.status}${c.status === "RUNNING" ? "" : " (it has every run it needs)"}`,
      });
    // RUNNING from now on: of two resumes at once, one goes on.
    if (!(await this.campaigns.reopen(campaignId)))
      throw new TRPCError({ code: "CONFLICT", message: `cannot resume campaign "${campaignId}": it is being resumed` });
    if (this.elsewhere) {
      // Its RUNNING event comes from the worker taking it.
      await this.elsewhere.dispatch(campaignId, true);
      this.log(`campaign ${campaignId} queued to resume`, { campaignId });
      return;
    }
    await this.continueHere(c);
  }

  /** Resumes a stored campaign here: the runs it lacks, its events going on after the last one. */
  private async continueHere(c: StoredCampaign): Promise<void> {
    const runs = await this.campaigns.runs(c.campaignId);
    const live = this.launch(
      {
        campaignId: c.campaignId,
        experimentId: c.experimentId,
        seq: await this.campaigns.lastSeq(c.campaignId),
        runSeq: Math.max(0, ...runs.map((r) => r.seq)),
      },
      c.document,
      { resume: c.dir },
    );
    // Queued at once, before the runner's first run is: RUNNING comes before that run's events.
    await Promise.all([
      this.write(live, () => this.campaigns.setStatus(c.campaignId, "RUNNING", undefined, undefined)),
      this.publish(live, { type: "status", seq: ++live.seq, status: "RUNNING", at: Date.now() }),
    ]);
    this.log(`campaign ${c.campaignId} resumed after ${runs.length} run(s)`, { campaignId: c.campaignId });
  }

  /**
   * A worker takes a campaign an API server recorded and queued (to start, or to resume) and
   * runs it here. Undefined when it is not to run any more (stopped or ended meanwhile).
   */
  async adopt(campaignId: string, resume: boolean): Promise<EventEmitter | undefined> {
    this.refuseWhenClosing();
    const c = await this.stored(campaignId);
    if (c.status !== "RUNNING" || this.active.has(campaignId)) return undefined;
    if (resume) await this.continueHere(c);
    else this.launch({ campaignId, experimentId: c.experimentId, seq: 0, runSeq: 0 }, c.document, { dir: c.dir });
    this.log(`campaign ${campaignId} ${resume ? "resumed" : "started"} here`, { campaignId });
    return this.active.get(campaignId)?.events;
  }

  private refuseWhenClosing(): void {
    if (!this.accepting) throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "the server is shutting down" });
  }

  /** Starts core's runner on the campaign (its directory new, or one to resume) and ends the campaign with it. */
  private launch(
    ids: Pick<LiveCampaign, "campaignId" | "experimentId" | "seq" | "runSeq">,
    doc: ExperimentDocument,
    where: { dir: string } | { resume: string },
  ): LiveCampaign {
    const live: LiveCampaign = {
      ...ids,
      abort: new AbortController(),
      events: new EventEmitter(),
      writes: Promise.resolve(),
      done: Promise.resolve(),
    };
    live.events.setMaxListeners(0);
    this.active.set(live.campaignId, live);
    live.done = runCampaign(doc, {
      ...where,
      signal: live.abort.signal,
      runOne: (job) => this.runOne(live, job),
      onRun: (row) => void this.ended(live, row),
    }).then(
      (result) =>
        result.complete
          ? this.finish(live, result.runs.some((r) => r.status === "failed") ? "FINISHED_WITH_FAILURES" : "FINISHED")
          : this.finish(live, live.stopAs?.status ?? "STOPPED", live.stopAs?.reason),
      (err: Error) => this.finish(live, live.stopAs?.status ?? "FAILED", live.stopAs?.reason ?? err.message),
    );
    return live;
  }

  /** The document to run and where its problems are (`document.` when it came in the request). */
  private async resolve(source: CampaignSource): Promise<{ document: ExperimentDocument; experimentId?: string; at: string }> {
    if ("document" in source) {
      if (!source.document.campaign)
        throw new NepiError("INVALID_DOCUMENT", "document.campaign: the document has no campaign", "document.campaign");
      return { document: source.document, at: "document." };
    }
    const exp = await this.store.getExperiment(source.experimentId);
    if (!exp) throw new TRPCError({ code: "NOT_FOUND", message: `experiment "${source.experimentId}" does not exist` });
    if (!exp.document.campaign)
      throw new NepiError(
        "INVALID_DOCUMENT",
        `experimentId: experiment "${source.experimentId}" has no campaign (add parameters, repetitions and metrics first)`,
        "experimentId",
      );
    return { document: exp.document, experimentId: source.experimentId, at: "" };
  }

  /** One repetition through the run manager: started, awaited, its metrics read, released. */
  private async runOne(live: LiveCampaign, job: CampaignJob): Promise<OneRunResult> {
    const worker = this.options.worker;
    const run = await this.runs.startDocument(live.experimentId, job.document, worker?.id);
    worker?.announce(run);
    const entry: StoredCampaignRun = {
      seq: ++live.runSeq,
      point: job.point.point,
      run: job.run,
      runId: run.runId,
      parameters: job.point.values,
      status: "running",
      metrics: {},
    };
    live.current = entry;
    await this.saveRun(live, entry);
    await runEnded(run.ec, job.signal);
    const { values, problems } = await readMetrics(run.ec, job.metrics);
    const aborted = job.signal?.aborted === true;
    await run.release(aborted ? "released: its campaign was stopped" : "released by its campaign");
    const verdict = runVerdict(run.ec, values, problems, aborted);
    if (verdict.status === "interrupted") {
      live.current = undefined;
      await this.saveRun(live, { ...entry, status: "stopped", metrics: values, reason: live.stopAs?.reason ?? "stopped" });
    }
    return { ...verdict, runId: run.runId };
  }

  /** A run ended (the runner wrote its row): recorded with its metrics, and the summary sent. */
  private ended(live: LiveCampaign, row: CampaignRunRow): Promise<void> {
    const seq = live.current?.runId === row.runId ? live.current.seq : ++live.runSeq;
    live.current = undefined;
    return this.saveRun(live, { ...row, seq });
  }

  /** Queues one of the campaign's writes after the others; resolves once it is done. */
  private write(live: LiveCampaign, w: () => Promise<void>): Promise<void> {
    const done = live.writes.then(w);
    live.writes = done.catch((err: Error) =>
      this.log(`campaign ${live.campaignId}: a write to the store failed: ${err.message}`, { level: "error", err }),
    );
    return live.writes;
  }

  private saveRun(live: LiveCampaign, entry: StoredCampaignRun): Promise<void> {
    const seq = ++live.seq;
    return this.write(live, async () => {
      await this.campaigns.saveRun(live.campaignId, entry);
      const { seq: _seq, ...run } = entry;
      const c = await this.stored(live.campaignId);
      const all = (await this.campaigns.runs(live.campaignId)).map((r) => withParameters(campaignOf(c), r));
      const e: CampaignEvent = { type: "run", seq, run, summary: summaryOf(campaignOf(c), all) };
      await this.campaigns.appendEvent(live.campaignId, e);
      live.events.emit("event", e);
    });
  }

  /** Stores the event after the campaign's other writes, then sends it. */
  private publish(live: LiveCampaign, e: CampaignEvent): Promise<void> {
    return this.write(live, async () => {
      await this.campaigns.appendEvent(live.campaignId, e);
      live.events.emit("event", e);
    });
  }

  private async finish(live: LiveCampaign, status: CampaignStatus, reason?: string): Promise<void> {
    const e: StatusEvent = {
      type: "status",
      seq: ++live.seq,
      status,
      at: Date.now(),
      ...(reason !== undefined ? { reason } : {}),
    };
    await this.write(live, async () => {
      await this.campaigns.end(live.campaignId, e);
      live.events.emit("event", e);
    });
    this.active.delete(live.campaignId);
    live.events.emit("closed");
    this.log(`campaign ${live.campaignId} ${status}${reason ? `: ${reason}` : ""}`, { campaignId: live.campaignId, status });
  }

  private async stored(campaignId: string): Promise<StoredCampaign> {
    const c = await this.campaigns.get(campaignId);
    if (!c) throw new TRPCError({ code: "NOT_FOUND", message: `campaign "${campaignId}" does not exist` });
    return c;
  }

  async get(campaignId: string): Promise<CampaignDetail> {
    const c = await this.stored(campaignId);
    return campaignDetail(
      c,
      (await this.campaigns.runs(campaignId)).map((r) => withParameters(campaignOf(c), r)),
    );
  }

  async list(experimentId?: string): Promise<CampaignSummaryInfo[]> {
    const all = await this.campaigns.list(experimentId);
    return Promise.all(
      all.map(async (c) =>
        campaignSummaryInfo(
          c,
          (await this.campaigns.runs(c.campaignId)).map((r) => withParameters(campaignOf(c), r)),
        ),
      ),
    );
  }

  /** Where the campaign writes runs.csv and summary.csv; NOT_FOUND for an unknown campaign. */
  async dir(campaignId: string): Promise<string> {
    return (await this.stored(campaignId)).dir;
  }

  /**
   * Follows a campaign run here as its events are sent (once stored) until it ends; returns
   * how to stop, or undefined when it is not run here.
   */
  watch(campaignId: string, onEvent: (e: CampaignEvent) => void, onClosed: () => void): (() => void) | undefined {
    const live = this.active.get(campaignId);
    if (!live) return undefined;
    live.events.on("event", onEvent);
    live.events.once("closed", onClosed);
    return () => {
      live.events.off("event", onEvent);
      live.events.off("closed", onClosed);
    };
  }

  /** Follows the events after `after` of a campaign run by a worker (undefined when campaigns run here). */
  watchElsewhere(
    campaignId: string,
    after: number,
    onEvent: (e: CampaignEvent) => void,
    onClosed: () => void,
  ): (() => void) | undefined {
    return this.elsewhere?.watch(campaignId, after, onEvent, onClosed);
  }

  /**
   * A snapshot of the campaign with the seq it is current at (a subscription's first event).
   * The seq is read first: an event stored meanwhile is sent again, never lost.
   */
  async snapshot(campaignId: string): Promise<Extract<CampaignEvent, { type: "snapshot" }>> {
    await this.stored(campaignId);
    const seq = await this.campaigns.lastSeq(campaignId);
    return { type: "snapshot", seq, campaign: await this.get(campaignId) };
  }

  async eventsAfter(campaignId: string, seq: number): Promise<CampaignEvent[]> {
    await this.stored(campaignId);
    return this.campaigns.eventsAfter(campaignId, seq);
  }

  /** Stops the run under way (released, not counted) and runs no more; resolves once the campaign ended STOPPED. */
  async stop(campaignId: string): Promise<void> {
    const live = this.active.get(campaignId);
    if (!live) {
      const c = await this.stored(campaignId);
      if (this.elsewhere && c.status === "RUNNING") return this.elsewhere.stop(campaignId);
      throw new TRPCError({ code: "CONFLICT", message: `cannot stop campaign "${campaignId}": it is ${c.status}` });
    }
    live.stopAs ??= { status: "STOPPED", reason: "stopped by the user" };
    live.abort.abort();
    await live.done;
  }

  /** Whether the campaign is run here. */
  runsHere(campaignId: string): boolean {
    return this.active.has(campaignId);
  }

  /** After a crash, the campaigns that were running are INTERRUPTED (their runs are, by the run manager). */
  async recoverInterrupted(): Promise<void> {
    for (const c of await this.campaigns.running())
      await this.interrupt(c.campaignId, "the server stopped while the campaign was running");
  }

  /** Marks a campaign whose runner is gone INTERRUPTED (resumable), its run under way stopped. */
  async interrupt(campaignId: string, reason: string): Promise<void> {
    const seq = (await this.campaigns.lastSeq(campaignId)) + 1;
    await this.campaigns.end(campaignId, { type: "status", seq, status: "INTERRUPTED", at: Date.now(), reason });
    this.log(`campaign ${campaignId} was interrupted: ${reason}`);
  }

  /** Takes no more campaigns; stops every running one (INTERRUPTED) once its current run is released. */
  async shutdown(reason = "the server shut down"): Promise<void> {
    this.accepting = false;
    const live = [...this.active.values()];
    for (const c of live) {
      c.stopAs ??= { status: "INTERRUPTED", reason };
      c.abort.abort();
    }
    await Promise.all(live.map((c) => c.done));
  }
}
