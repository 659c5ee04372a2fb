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
import type { RunManager } from "../runs/run-manager.js";
import type { Store } from "../store/store.js";
import type { CampaignStore, StoredCampaign, StoredCampaignRun } from "../store/campaign-store.js";
import { campaignDetail, campaignOf, campaignSummaryInfo, summaryOf, withParameters } from "./campaign-view.js";

/** What a campaign is started from: a saved design with a campaign, or a document. */
export type CampaignSource = { experimentId: string } | { document: ExperimentDocument };

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
  done: Promise<void>;
}

/**
 * Runs campaigns with core's runner, each repetition a normal run of the run manager (listed,
 * opened and released as any run), one campaign's runs one after another. Keeps every
 * campaign, its runs and its events in the store, so a restarted server lists them.
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
  ) {}

  /** Checks the document and its campaign, records the campaign and starts its first run; returns at once. */
  start(source: CampaignSource): string {
    if (!this.accepting) throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "the server is shutting down" });
    const { document, experimentId, at } = this.resolve(source);
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
    this.campaigns.create({
      campaignId,
      experimentId: expId,
      experimentName: doc.name,
      document: doc,
      dir,
      startedAt: Date.now(),
    });
    this.launch({ campaignId, experimentId: expId, seq: 0, runSeq: 0 }, doc, { dir });
    this.log(`campaign ${campaignId} of experiment ${expId} started`, { campaignId, experimentId: expId });
    return campaignId;
  }

  /**
   * Runs the campaign again where it stopped (STOPPED, INTERRUPTED by a shutdown or a crash, or
   * FAILED): core's runner reads its runs.json and runs only what is missing; returns at once.
   */
  resume(campaignId: string): void {
    if (!this.accepting) throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "the server is shutting down" });
    const c = this.stored(campaignId);
    if (this.active.has(campaignId) || c.status === "FINISHED" || c.status === "FINISHED_WITH_FAILURES")
      throw new TRPCError({
        code: "CONFLICT",
        message: `cannot resume campaign "${campaignId}": it is ${c.status}${c.status === "RUNNING" ? "" : " (it has every run it needs)"}`,
      });
    const runs = this.campaigns.runs(campaignId);
    const live = this.launch(
      {
        campaignId,
        experimentId: c.experimentId,
        seq: this.campaigns.lastSeq(campaignId),
        runSeq: Math.max(0, ...runs.map((r) => r.seq)),
      },
      c.document,
      { resume: c.dir },
    );
    this.campaigns.setStatus(campaignId, "RUNNING", undefined, undefined);
    this.publish(live, { type: "status", seq: ++live.seq, status: "RUNNING", at: Date.now() });
    this.log(`campaign ${campaignId} resumed after ${runs.length} run(s)`, { campaignId });
  }

  /** Starts core's runner on the campaign (its directory new, or one to resume) and ends the campaign with it. */
  private launch(
    ids: Pick<LiveCampaign, "campaignId" | "experimentId" | "seq" | "runSeq">,
    doc: ExperimentDocument,
    where: { dir: string } | { resume: string },
  ): LiveCampaign {
    const live: LiveCampaign = { ...ids, abort: new AbortController(), events: new EventEmitter(), done: Promise.resolve() };
    live.events.setMaxListeners(0);
    this.active.set(live.campaignId, live);
    live.done = runCampaign(doc, {
      ...where,
      signal: live.abort.signal,
      runOne: (job) => this.runOne(live, job),
      onRun: (row) => this.ended(live, row),
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
  private resolve(source: CampaignSource): { document: ExperimentDocument; experimentId?: string; at: string } {
    if ("document" in source) {
      if (!source.document.campaign)
        throw new NepiError("INVALID_DOCUMENT", "document.campaign: the document has no campaign", "document.campaign");
      return { document: source.document, at: "document." };
    }
    const exp = this.store.getExperiment(source.experimentId);
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
    const run = this.runs.startDocument(live.experimentId, job.document);
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
    this.saveRun(live, entry);
    await runEnded(run.ec, job.signal);
    const { values, problems } = await readMetrics(run.ec, job.metrics);
    const aborted = job.signal?.aborted === true;
    await run.release(aborted ? "released: its campaign was stopped" : "released by its campaign");
    const verdict = runVerdict(run.ec, values, problems, aborted);
    if (verdict.status === "interrupted") {
      live.current = undefined;
      this.saveRun(live, { ...entry, status: "stopped", metrics: values, reason: live.stopAs?.reason ?? "stopped" });
    }
    return { ...verdict, runId: run.runId };
  }

  /** A run ended (the runner wrote its row): recorded with its metrics, and the summary sent. */
  private ended(live: LiveCampaign, row: CampaignRunRow): void {
    const seq = live.current?.runId === row.runId ? live.current.seq : ++live.runSeq;
    live.current = undefined;
    this.saveRun(live, { ...row, seq });
  }

  private saveRun(live: LiveCampaign, entry: StoredCampaignRun): void {
    this.campaigns.saveRun(live.campaignId, entry);
    const { seq: _seq, ...run } = entry;
    const c = this.stored(live.campaignId);
    const all = this.campaigns.runs(live.campaignId).map((r) => withParameters(campaignOf(c), r));
    this.publish(live, { type: "run", seq: ++live.seq, run, summary: summaryOf(campaignOf(c), all) });
  }

  private publish(live: LiveCampaign, e: CampaignEvent): void {
    this.campaigns.appendEvent(live.campaignId, e);
    live.events.emit("event", e);
  }

  private finish(live: LiveCampaign, status: CampaignStatus, reason?: string): void {
    const at = Date.now();
    this.campaigns.stopRunningRuns(live.campaignId, reason ?? "stopped");
    this.campaigns.setStatus(live.campaignId, status, reason, at);
    this.publish(live, { type: "status", seq: ++live.seq, status, at, ...(reason !== undefined ? { reason } : {}) });
    this.active.delete(live.campaignId);
    live.events.emit("closed");
    this.log(`campaign ${live.campaignId} ${status}${reason ? `: ${reason}` : ""}`, { campaignId: live.campaignId, status });
  }

  private stored(campaignId: string): StoredCampaign {
    const c = this.campaigns.get(campaignId);
    if (!c) throw new TRPCError({ code: "NOT_FOUND", message: `campaign "${campaignId}" does not exist` });
    return c;
  }

  get(campaignId: string): CampaignDetail {
    const c = this.stored(campaignId);
    return campaignDetail(
      c,
      this.campaigns.runs(campaignId).map((r) => withParameters(campaignOf(c), r)),
    );
  }

  list(experimentId?: string): CampaignSummaryInfo[] {
    return this.campaigns.list(experimentId).map((c) =>
      campaignSummaryInfo(
        c,
        this.campaigns.runs(c.campaignId).map((r) => withParameters(campaignOf(c), r)),
      ),
    );
  }

  /** Where the campaign writes runs.csv and summary.csv; NOT_FOUND for an unknown campaign. */
  dir(campaignId: string): string {
    return this.stored(campaignId).dir;
  }

  /** The live campaign's events, or undefined once it ended. */
  live(campaignId: string): EventEmitter | undefined {
    return this.active.get(campaignId)?.events;
  }

  /** A snapshot of the campaign with the seq it is current at (a subscription's first event). */
  snapshot(campaignId: string): Extract<CampaignEvent, { type: "snapshot" }> {
    const campaign = this.get(campaignId);
    return { type: "snapshot", seq: this.campaigns.lastSeq(campaignId), campaign };
  }

  eventsAfter(campaignId: string, seq: number): CampaignEvent[] {
    this.stored(campaignId);
    return this.campaigns.eventsAfter(campaignId, seq);
  }

  /** Stops the run under way (released, not counted) and runs no more; resolves once the campaign ended STOPPED. */
  async stop(campaignId: string): Promise<void> {
    const live = this.active.get(campaignId);
    if (!live) {
      const c = this.stored(campaignId);
      throw new TRPCError({ code: "CONFLICT", message: `cannot stop campaign "${campaignId}": it is ${c.status}` });
    }
    live.stopAs ??= { status: "STOPPED", reason: "stopped by the user" };
    live.abort.abort();
    await live.done;
  }

  /** After a crash, the campaigns that were running are INTERRUPTED (their runs are, by the run manager). */
  recoverInterrupted(): void {
    for (const c of this.campaigns.running()) {
      const reason = "the server stopped while the campaign was running";
      const at = Date.now();
      this.campaigns.stopRunningRuns(c.campaignId, reason);
      this.campaigns.setStatus(c.campaignId, "INTERRUPTED", reason, at);
      const seq = this.campaigns.lastSeq(c.campaignId) + 1;
      this.campaigns.appendEvent(c.campaignId, { type: "status", seq, status: "INTERRUPTED", at, reason });
      this.log(`campaign ${c.campaignId} was interrupted: ${reason}`);
    }
  }

  /** Takes no more campaigns; stops every running one (INTERRUPTED) once its current run is released. */
  async shutdown(): Promise<void> {
    this.accepting = false;
    const live = [...this.active.values()];
    for (const c of live) {
      c.stopAs ??= { status: "INTERRUPTED", reason: "the server shut down" };
      c.abort.abort();
    }
    await Promise.all(live.map((c) => c.done));
  }
}
