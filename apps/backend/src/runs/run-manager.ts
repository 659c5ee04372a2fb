import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import {
  HOST_ROLE,
  NepiError,
  RunManifestSchema,
  StateEventSchema,
  diffRuns,
  findResourceType,
  hasRole,
  type RunDifference,
  type RunManifest,
} from "@nepi/core";
import type { Leftover, MissingTrace, RunDetail, RunEvent, RunSummary, RunTraceInfo, RunWaiting, StateEvent } from "@nepi/core";
import type { Store, StoredRun } from "../store/store.js";
import type { Logger } from "../server/log.js";
import { redactCredentials } from "../security/credentials.js";
import type { ExperimentController, ExperimentDocument } from "@nepi/core/node";
import { ActiveRun, createController, runDirOf, type RunPlace } from "./active-run.js";
import { RunState } from "./run-state.js";

/** What an API server can ask of the worker holding a run (over PostgreSQL). */
export type ControlAction = "stop" | "release" | "redeploy" | "retryFailed";

/**
 * Runs kept elsewhere: by `nepi worker`s, reached through the database (queue, notifications).
 * An API server started with one runs no controller itself.
 */
export interface RunsElsewhere {
  /** Hands a recorded run to a worker. */
  dispatch(runId: string, guids: readonly number[] | undefined): Promise<void>;
  /** Asks the worker holding the run to act on it; resolves with its answer. */
  control(runId: string, action: ControlAction, guid?: number): Promise<unknown>;
  /** Follows the run's stored events after `after` until it is released or interrupted. */
  watch(runId: string, after: number, onEvent: (e: RunEvent) => void, onClosed: () => void): () => void;
}

/**
 * Owns the runs: one controller per active run, several at once. Starts, stops, releases,
 * recovers runs a crash interrupted, and answers what a run looks like now or looked like.
 */
export class RunManager {
  private readonly active = new Map<string, ActiveRun>();
  private accepting = true;
  /** Runs whose cleanup is under way (one at a time per run). */
  private readonly cleaning = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly rootDir: string,
    private readonly log: Logger,
    /** Set on an API server whose runs are kept by workers: it runs no controller. */
    private readonly elsewhere?: RunsElsewhere,
  ) {}

  /**
   * Validates the saved design, builds its controller, records the run and deploys it — all of
   * it, or only `guids` (and what they deploy after; the others stay NEW).
   */
  async start(experimentId: string, guids?: readonly number[]): Promise<string> {
    if (!this.accepting) throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "the server is shutting down" });
    const exp = await this.store.getExperiment(experimentId);
    if (!exp) throw new TRPCError({ code: "NOT_FOUND", message: `experiment "${experimentId}" does not exist` });
    const place: RunPlace = { runId: randomUUID(), experimentId, rootDir: this.rootDir };
    // Throws a NepiError listing every problem of the design: nothing is recorded then.
    const ec = createController(exp.document, place);
    if (guids) refuseUnknownGuids(ec.guids(), guids);
    const startedAt = Date.now();
    await this.store.createRun(place.runId, experimentId, exp.document, startedAt);
    if (this.elsewhere) {
      // Validated here (the caller hears what is wrong); deployed by the worker that takes it.
      await ec.shutdown();
      await this.elsewhere.dispatch(place.runId, guids);
    } else {
      this.launch(place, exp.document, ec, startedAt, guids);
    }
    this.log(`run ${place.runId} of experiment ${experimentId} ${this.elsewhere ? "queued" : "started"}`, {
      runId: place.runId,
      experimentId,
      experimentName: exp.document.name,
    });
    return place.runId;
  }

  /**
   * Starts a run of `document` recorded under `experimentId` (a campaign's run at one of its
   * points), here: a normal run, listed, opened and released as any other (`workerId`: the
   * `nepi worker` running the campaign holds it). Returns it live.
   */
  async startDocument(experimentId: string, document: ExperimentDocument, workerId?: string): Promise<ActiveRun> {
    if (!this.accepting) throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "the server is shutting down" });
    if (this.elsewhere) throw new Error("an API server of workers runs no controller: its campaigns run on a worker");
    const place: RunPlace = { runId: randomUUID(), experimentId, rootDir: this.rootDir };
    const ec = createController(document, place);
    const startedAt = Date.now();
    await this.store.createRun(place.runId, experimentId, document, startedAt);
    // Held by the worker running its campaign: if that worker dies, another one cleans it up.
    if (workerId !== undefined) await this.store.moveRun(place.runId, null, workerId);
    const run = this.launch(place, document, ec, startedAt, undefined);
    this.log(`run ${place.runId} of experiment ${experimentId} started`, {
      runId: place.runId,
      experimentId,
      experimentName: document.name,
    });
    return run;
  }

  /** Runs a recorded run here: records and deploys it (a refusal at deploy is a FAILED run, then thrown). */
  private launch(
    place: RunPlace,
    document: ExperimentDocument,
    ec: ExperimentController,
    startedAt: number,
    guids: readonly number[] | undefined,
  ): ActiveRun {
    const run = new ActiveRun(this.store, this.log, place, document, ec, startedAt);
    this.active.set(place.runId, run);
    run.events.once("closed", () => this.active.delete(place.runId));
    try {
      run.begin(guids);
    } catch (err) {
      // Refused at deploy (the engine's last checks): recorded as a failed run, then freed.
      run.setStatus("FAILED", (err as Error).message);
      void run.release();
      throw err;
    }
    return run;
  }

  /**
   * A worker takes a run an API server recorded and queued: builds its controller (same ids,
   * so the same run directories) and deploys it. Undefined when it is not to run any more.
   */
  async adopt(runId: string, guids: readonly number[] | undefined): Promise<ActiveRun | undefined> {
    if (!this.accepting) throw new Error("the worker is shutting down");
    const stored = await this.stored(runId);
    if (stored.releasedAt !== undefined || stored.status !== "RUNNING") return undefined;
    const place: RunPlace = { runId, experimentId: stored.experimentId, rootDir: this.rootDir };
    const ec = createController(stored.document, place);
    try {
      return this.launch(place, stored.document, ec, stored.startedAt, guids);
    } catch {
      // Recorded as FAILED (and said in its events): the job is done.
      return this.active.get(runId);
    }
  }

  /**
   * Follows the events after `after` of a run kept by a worker (undefined when runs are kept
   * here: `watch` follows those).
   */
  watchElsewhere(runId: string, after: number, onEvent: (e: RunEvent) => void, onClosed: () => void): (() => void) | undefined {
    return this.elsewhere?.watch(runId, after, onEvent, onClosed);
  }

  /** The live run, or undefined when the run exists but has no controller any more. */
  live(runId: string): ActiveRun | undefined {
    return this.active.get(runId);
  }

  /**
   * Follows a run's events as they are sent (once stored) until it is released (`onClosed`);
   * returns how to stop, or undefined when no live controller of the run is here.
   */
  watch(runId: string, onEvent: (e: RunEvent) => void, onClosed: () => void): (() => void) | undefined {
    const live = this.active.get(runId);
    if (!live || live.closed) return undefined;
    live.events.on("event", onEvent);
    live.events.once("closed", onClosed);
    return () => {
      live.events.off("event", onEvent);
      live.events.off("closed", onClosed);
    };
  }

  private async stored(runId: string): Promise<StoredRun> {
    const run = await this.store.getRun(runId);
    if (!run) throw new TRPCError({ code: "NOT_FOUND", message: `run "${runId}" does not exist` });
    return run;
  }

  private async mustBeLive(runId: string, action: string): Promise<ActiveRun> {
    const run = this.active.get(runId);
    if (run && !run.closed) return run;
    const stored = await this.stored(runId);
    throw new TRPCError({
      code: "CONFLICT",
      message: `cannot ${action} run "${runId}": it is ${stored.status}${stored.releasedAt !== undefined ? " and released" : ""}`,
    });
  }

  /**
   * On an API server whose runs are kept by workers: asks the one holding the run (undefined
   * otherwise). A run with no controller any more is refused here, as a local one would be.
   */
  private async forward(
    runId: string,
    action: ControlAction,
    verb: string,
    guid?: number,
  ): Promise<{ answer: unknown } | undefined> {
    if (!this.elsewhere) return undefined;
    const stored = await this.stored(runId);
    if (stored.releasedAt !== undefined || stored.status === "INTERRUPTED") {
      throw new TRPCError({
        code: "CONFLICT",
        message: `cannot ${verb} run "${runId}": it is ${stored.status}${stored.releasedAt !== undefined ? " and released" : ""}`,
      });
    }
    return { answer: await this.elsewhere.control(runId, action, guid) };
  }

  async stop(runId: string): Promise<void> {
    if (await this.forward(runId, "stop", "stop")) return;
    await (await this.mustBeLive(runId, "stop")).stop();
  }

  /** Releases one resource of a running run and what runs on it, and deploys them again. */
  async redeploy(runId: string, guid: number): Promise<void> {
    if (await this.forward(runId, "redeploy", "redeploy a resource of", guid)) return;
    const run = await this.mustBeLive(runId, "redeploy a resource of");
    if (run.status !== "RUNNING" && run.status !== "FINISHED") {
      throw new TRPCError({ code: "CONFLICT", message: `cannot redeploy a resource of run "${runId}": it is ${run.status}` });
    }
    await run.redeploy(guid);
  }

  /** Re-runs the FAILED resources of a live run (and what failed because of them); returns their guids. */
  async retryFailed(runId: string): Promise<number[]> {
    const forwarded = await this.forward(runId, "retryFailed", "retry failed resources of");
    if (forwarded) return forwarded.answer as number[];
    const run = await this.mustBeLive(runId, "retry failed resources of");
    if (run.ec.ecState !== "RUNNING") {
      throw new TRPCError({
        code: "CONFLICT",
        message: `cannot retry failed resources of run "${runId}": it is ${run.status} (${run.reason ?? "the experiment failed"})`,
      });
    }
    if (run.status !== "RUNNING" && run.status !== "FINISHED_WITH_FAILURES") {
      throw new TRPCError({ code: "CONFLICT", message: `cannot retry failed resources of run "${runId}": it is ${run.status}` });
    }
    const guids = run.retryFailed();
    if (guids.length === 0) throw new TRPCError({ code: "CONFLICT", message: `run "${runId}" has no FAILED resource to retry` });
    this.log(`run ${runId}: retrying failed resources ${guids.join(", ")}`, { runId, guids });
    return guids;
  }

  async release(runId: string): Promise<void> {
    if (await this.forward(runId, "release", "release")) return;
    await (await this.mustBeLive(runId, "release")).release("released by the user");
  }

  /** A snapshot of every resource's state, with the sequence number it is current at. */
  async snapshot(runId: string): Promise<Extract<RunEvent, { type: "snapshot" }>> {
    const live = this.active.get(runId);
    if (live) return live.snapshot();
    const run = await this.stored(runId);
    const seq = await this.store.lastSeq(runId);
    return {
      type: "snapshot",
      seq,
      status: run.status,
      ...(run.reason !== undefined ? { reason: run.reason } : {}),
      resources: (await this.stateOf(run)).list(),
    };
  }

  private async stateOf(run: StoredRun): Promise<RunState> {
    const live = this.active.get(run.runId);
    if (live) return live.state;
    const state = new RunState(run.document, run.startedAt);
    for (const s of await this.store.latestStates(run.runId)) state.apply({ ...s, previous: "NEW" });
    return state;
  }

  private async summary(run: StoredRun): Promise<RunSummary> {
    const counts = { ...(await this.stateOf(run)).counts };
    const live = this.active.get(run.runId);
    return {
      runId: run.runId,
      experimentId: run.experimentId,
      experimentName: run.experimentName,
      status: live ? live.status : run.status,
      ...((live ? live.reason : run.reason) !== undefined ? { reason: live ? live.reason : run.reason } : {}),
      startedAt: run.startedAt,
      ...(run.endedAt !== undefined ? { endedAt: run.endedAt } : {}),
      ...(run.releasedAt !== undefined ? { releasedAt: run.releasedAt } : {}),
      counts,
    };
  }

  async list(experimentId?: string): Promise<RunSummary[]> {
    return Promise.all((await this.store.listRuns(experimentId)).map((r) => this.summary(r)));
  }

  /** Where a run keeps its files (manifest, timeline, traces); NOT_FOUND for an unknown run. */
  async runDir(runId: string): Promise<string> {
    const run = await this.stored(runId);
    return runDirOf({ runId, experimentId: run.experimentId, rootDir: this.rootDir });
  }

  /** The run's manifest.json (the document as run, its machines' facts), written once the run is released. */
  async manifest(runId: string): Promise<RunManifest> {
    const file = join(await this.runDir(runId), "manifest.json");
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch {
      throw new TRPCError({
        code: "PRECONDITION_FAILED",
        message: `run "${runId}" has no manifest: it is written once the run is released (runs before this version have none)`,
      });
    }
    return RunManifestSchema.parse(JSON.parse(text));
  }

  /** What differs between two released runs (core's `diffRuns`): attributes, machine facts, each state's time. */
  async diff(a: string, b: string): Promise<RunDifference> {
    const record = async (runId: string) => {
      const manifest = await this.manifest(runId);
      const timeline = z
        .array(StateEventSchema)
        .parse(JSON.parse(await readFile(join(await this.runDir(runId), "timeline.json"), "utf8")));
      return { manifest, timeline };
    };
    return diffRuns(await record(a), await record(b));
  }

  async get(runId: string): Promise<RunDetail> {
    const run = await this.stored(runId);
    const timeline: StateEvent[] = [];
    let missingTraces: MissingTrace[] = [];
    for (const e of await this.store.eventsAfter(runId, 0)) {
      if (e.kind === "transition") timeline.push(e.event);
      else if (e.kind === "status" && e.missingTraces) missingTraces = e.missingTraces;
    }
    const waiting = this.active.get(runId)?.ec.waitingOnAll();
    const resources = (await this.stateOf(run)).list();
    return {
      ...(await this.summary(run)),
      document: redactCredentials(run.document),
      resources: waiting
        ? resources.map((r) => (waiting.has(r.guid) ? { ...r, waitingOn: waiting.get(r.guid)! } : r))
        : resources,
      timeline,
      traces: await this.traceList(runId),
      leftovers: run.leftovers,
      missingTraces,
    };
  }

  /** What each resource of a live run waits for (none for a run without its controller). */
  async waitingOn(runId: string): Promise<RunWaiting> {
    await this.stored(runId);
    const live = this.active.get(runId);
    if (!live || live.closed) return [];
    return [...live.ec.waitingOnAll()].map(([guid, waitingOn]) => ({ guid, waitingOn }));
  }

  /** The run's kept traces; for a live run, with the bytes recorded so far. */
  private async traceList(runId: string): Promise<RunTraceInfo[]> {
    const traces = await this.store.listTraces(runId);
    const live = this.active.get(runId)?.traceSizes();
    return live ? traces.map((t) => ({ ...t, size: live.get(`${t.guid}/${t.name}`) ?? t.size })) : traces;
  }

  /**
   * After a crash, the runs that were active have no controller: mark them INTERRUPTED, with
   * what they had deployed on which host, for `cleanup`.
   */
  async recoverInterrupted(): Promise<void> {
    for (const run of await this.store.activeRuns()) await this.interrupt(run, "the server", "runs.cleanup releases them");
  }

  /**
   * Marks a run whose controller is gone INTERRUPTED, with what it had deployed where:
   * `who` stopped while it ran; `then` says what happens to what it left.
   */
  async interrupt(run: StoredRun, who: string, then: string): Promise<void> {
    const leftovers = (await this.stateOf(run)).leftovers(run.document);
    const hosts = [...new Set(leftovers.map((l) => l.host).filter(Boolean))];
    const reason =
      `${who} stopped while the run was ${run.status}; ${leftovers.length} resource(s) were left deployed` +
      (hosts.length ? ` on ${hosts.join(", ")}` : "") +
      `; ${then}`;
    const at = Date.now();
    const seq = (await this.store.lastSeq(run.runId)) + 1;
    // Queued together: one transaction.
    this.store.setLeftovers(run.runId, leftovers);
    this.store.setRunStatus(run.runId, "INTERRUPTED", reason, at);
    this.store.appendEvent(run.runId, { seq, kind: "status", status: "INTERRUPTED", at, reason });
    await this.store.flush();
    this.log(`run ${run.runId} was interrupted: ${reason}`);
  }

  /**
   * Releases what an interrupted run left behind: a controller with the same ids (so its
   * managers find the run's processes and files) releases every resource, then is freed.
   * Each resource it ended is recorded as a RELEASED transition (timeline, states, counts),
   * and the run becomes RELEASED, its reason still saying it was interrupted.
   */
  async cleanup(runId: string): Promise<{ released: Leftover[] }> {
    const run = await this.stored(runId);
    if (run.status !== "INTERRUPTED") {
      const cleaned = run.releasedAt !== undefined && (await this.store.wasInterrupted(runId));
      throw new TRPCError({
        code: "CONFLICT",
        message: cleaned
          ? `run "${runId}" was interrupted and already cleaned up`
          : `run "${runId}" is ${run.status}: only an INTERRUPTED run needs cleanup`,
      });
    }
    if (this.cleaning.has(runId)) throw new TRPCError({ code: "CONFLICT", message: `run "${runId}" is being cleaned up` });
    this.cleaning.add(runId);
    try {
      const releasedAt = await this.releaseLeftovers(run);
      await this.recordCleanup(run, releasedAt);
    } finally {
      this.cleaning.delete(runId);
    }
    this.log(`run ${runId} cleaned up (${run.leftovers.length} leftover resource(s))`);
    return { released: run.leftovers };
  }

  /** Releases everything an interrupted run left; returns when each resource was released. */
  private async releaseLeftovers(run: StoredRun): Promise<Map<number, number>> {
    const runId = run.runId;
    const ec = createController(run.document, { runId, experimentId: run.experimentId, rootDir: this.rootDir });
    const releasedAt = new Map<number, number>();
    ec.on("state", (e) => {
      if (e.state === "RELEASED") releasedAt.set(e.guid, e.at);
    });
    try {
      // Reconnect to the run's hosts (same experiment and run ids: same run directories), so
      // that releasing them ends the processes the run started there (checked by pid and
      // start time). Resources with no host hold nothing once their controller is gone.
      const hosts = run.document.resources.filter((r) => hasRole(findResourceType(r.type), HOST_ROLE)).map((r) => r.guid);
      if (hosts.length) {
        ec.deploy(hosts, { startTogether: false });
        await ec.waitDeployed(hosts, { timeout: "2m" });
      }
      // What runs on those hosts is not deployed here (it stays NEW in this controller): its
      // host's release ends it, so it is released when that release begins.
      const releasing = Date.now();
      await ec.release();
      for (const g of ec.guids()) if (!ec.deployed(g) && !releasedAt.has(g)) releasedAt.set(g, releasing);
    } catch (err) {
      // Nothing is recorded: the run stays INTERRUPTED, with its leftovers, for another try.
      throw new TRPCError({
        code: "BAD_GATEWAY",
        message: `cleanup of run "${runId}" failed: ${(err as Error).message}`,
        cause: err,
      });
    } finally {
      await ec.shutdown().catch(() => undefined);
    }
    return releasedAt;
  }

  /**
   * Records a successful cleanup in one transaction: a RELEASED transition for each resource
   * the run had left deployed (from the state it was last recorded in), then the run's status.
   */
  private async recordCleanup(run: StoredRun, releasedAt: Map<number, number>): Promise<void> {
    const runId = run.runId;
    const state = await this.stateOf(run);
    const done = Date.now();
    const ended = run.leftovers
      .map((l) => ({ guid: l.guid, previous: state.state(l.guid)?.state ?? l.state, at: releasedAt.get(l.guid) ?? done }))
      .sort((a, b) => a.at - b.at || a.guid - b.guid);
    const reason = `${run.reason ?? "interrupted"} — cleaned up: ${ended.length} resource(s) released by runs.cleanup`;
    // Queued together, so they are written in one transaction.
    let seq = await this.store.lastSeq(runId);
    for (const e of ended) {
      const event: StateEvent = {
        guid: e.guid,
        state: "RELEASED",
        previous: e.previous,
        at: e.at,
        reason: "released by runs.cleanup",
      };
      this.store.appendEvent(runId, { seq: ++seq, kind: "transition", event });
    }
    this.store.appendEvent(runId, { seq: seq + 1, kind: "status", status: "RELEASED", at: done, reason });
    this.store.setRunStatus(runId, "RELEASED", reason, undefined);
    this.store.setRunReleased(runId, done);
    await this.store.flush();
  }

  /** Stops accepting runs, then stops and releases every active run. */
  async shutdown(reason = "released when the server shut down"): Promise<void> {
    this.accepting = false;
    const runs = [...this.active.values()];
    if (runs.length) this.log(`releasing ${runs.length} active run(s)`);
    await Promise.all(runs.map((r) => r.release(reason)));
  }

  get activeCount(): number {
    return this.active.size;
  }
}

/** Every guid to deploy is one of the design's, or nothing is recorded (the field is named). */
function refuseUnknownGuids(known: readonly number[], guids: readonly number[]): void {
  const all = new Set(known);
  const i = guids.findIndex((g) => !all.has(g));
  if (i < 0) return;
  const path = `guids[${i}]`;
  const message = `${path}: no resource of the design has guid ${guids[i]} (known: ${known.join(", ")})`;
  throw new NepiError("UNKNOWN_GUID", message, path, [{ path, message, code: "UNKNOWN_GUID" }]);
}
