import { EventEmitter } from "node:events";
import { isAbsolute, join } from "node:path";
import {
  ExperimentController,
  hasReached,
  isTerminal,
  type ExperimentDocument,
  type GateEvent,
  type MissingTrace,
  type ResourceRunState,
  type RunEvent,
  type RunStatus,
  type StateEvent,
} from "@nepi/core/node";
import type { Store } from "../store/store.js";
import type { Logger } from "../server/log.js";
import { RunState } from "./run-state.js";
import { TraceRecorder } from "./trace-recorder.js";

/** "2 resources failed: guid 3 (exit code 1: …); guid 5 (…)": the reason of FINISHED_WITH_FAILURES. */
function failuresText(failed: ResourceRunState[]): string {
  const shown = failed.slice(0, 3).map((f) => `guid ${f.guid}${f.reason ? ` (${f.reason})` : ""}`);
  const more = failed.length > 3 ? `; and ${failed.length - 3} more` : "";
  return `${failed.length} non-critical ${failed.length === 1 ? "resource" : "resources"} failed: ${shown.join("; ")}${more}`;
}

export interface RunPlace {
  runId: string;
  experimentId: string;
  /** The engine's root: the run's files go under `<rootDir>/<experimentId>/<runId>/`. */
  rootDir: string;
}

/** Builds the controller of a run (its place fixes the run's directory and ids). */
export function createController(doc: ExperimentDocument, place: RunPlace): ExperimentController {
  return ExperimentController.fromDocument(doc, { expId: place.experimentId, runId: place.runId, rootDir: place.rootDir });
}

/** Where a run keeps its files, traces included. */
export function runDirOf(place: RunPlace): string {
  return join(place.rootDir, place.experimentId, place.runId);
}

/**
 * One run with a live controller: records every transition (the store) and fans it out to
 * subscribers (`events`: "event" with a RunEvent, "closed" once released), keeps its status,
 * and copies its enabled traces to disk as they grow.
 */
export class ActiveRun {
  readonly events = new EventEmitter();
  /** Sequence number of the last event: also its event id for resumable streams. */
  seq = 0;
  status: RunStatus = "RUNNING";
  reason: string | undefined;
  readonly state: RunState;
  private readonly traces: TraceRecorder;
  /** Enabled traces of each resource not followed yet. */
  private readonly toFollow = new Map<number, string[]>();
  /** Live trace readers waiting for their resource's manager (it exists once deployed). */
  private readonly waitingFollowers = new Map<number, Set<() => void>>();
  private releasing: Promise<void> | undefined;
  private readonly outbox: RunEvent[] = [];
  private releaseStarted = false;
  /** Redeploys under way: the run is not over while one is releasing what it brings back. */
  private redeploying = 0;
  /** Conditions whose delay counts down now (a snapshot carries them). */
  private readonly armedGates = new Map<number, GateEvent>();
  closed = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    readonly place: RunPlace,
    readonly document: ExperimentDocument,
    readonly ec: ExperimentController,
    readonly startedAt: number,
  ) {
    this.events.setMaxListeners(0);
    this.state = new RunState(document, startedAt);
    this.traces = new TraceRecorder(runDirOf(place), (guid, name, path, size) =>
      store.recordTrace(place.runId, guid, name, path, size),
    );
    for (const r of document.resources) if (r.traces.length) this.toFollow.set(r.guid, [...r.traces]);
  }

  get runId(): string {
    return this.place.runId;
  }

  /** Bytes recorded so far of each trace being followed (`guid/name` → size). */
  traceSizes(): Map<string, number> {
    return this.traces.sizes();
  }

  /**
   * Starts recording and deploys everything, or only `guids` (and what they deploy after): the
   * others stay NEW and the run is over without them. Returns at once; the engine schedules.
   */
  begin(guids?: readonly number[]): void {
    this.ec.on("state", (e) => this.onTransition(e));
    // The experiment failing (a critical failure) is its own event.
    this.ec.on("experiment", () => this.updateStatus());
    this.ec.on("gate", (g) => this.onGate(g));
    this.ec.deploy(guids);
    if (guids) this.state.leaveOut(this.ec.guids().filter((g) => !this.ec.deployed(g)));
  }

  /**
   * Releases one resource and what runs on it, and deploys them again (the engine's
   * `redeploy`); a FINISHED run is RUNNING again until they have settled.
   */
  async redeploy(guid: number): Promise<void> {
    this.redeploying++;
    try {
      await this.ec.redeploy(guid);
    } finally {
      this.redeploying--;
      this.updateStatus();
    }
  }

  /**
   * Follows a trace live from byte `offset`. Before its resource has started there is nothing
   * to follow yet: the follow begins when it starts (or is retried at its next transitions),
   * and `onError` gets the reason if it can never begin. Unknown guids throw at once.
   */
  followTrace(
    guid: number,
    name: string,
    offset: number,
    onChunk: (chunk: string, offset: number) => void,
    onError: (err: Error) => void,
  ): () => void {
    let unfollow: (() => void) | undefined;
    let cancelled = false;
    const attempt = (): boolean => {
      if (!this.traceReady(guid)) return false;
      try {
        unfollow = this.ec.followTrace(guid, name, { offset }, onChunk);
        return true;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === "UNKNOWN_TRACE" || code === "UNKNOWN_GUID") throw err;
        if (!hasReached(this.ec.state(guid), "STARTED") && !isTerminal(this.ec.state(guid))) return false;
        throw err;
      }
    };
    if (attempt()) return () => unfollow?.();
    const retry = () => {
      if (cancelled) return;
      try {
        if (attempt()) this.waitingFollowers.get(guid)?.delete(retry);
      } catch (err) {
        this.waitingFollowers.get(guid)?.delete(retry);
        onError(err as Error);
      }
    };
    let set = this.waitingFollowers.get(guid);
    if (!set) this.waitingFollowers.set(guid, (set = new Set()));
    set.add(retry);
    return () => {
      cancelled = true;
      this.waitingFollowers.get(guid)?.delete(retry);
      unfollow?.();
    };
  }

  private onTransition(e: StateEvent): void {
    const seq = ++this.seq;
    this.state.apply(e);
    this.store.appendEvent(this.runId, { seq, kind: "transition", event: e });
    this.publish({ type: "transition", seq, event: e });
    if (e.state === "NEW" && e.previous !== "NEW") this.redeployed(e.guid);
    // Traces are followed after the transition's dispatch, not inside it: a follower added
    // while the engine notifies would see this transition's output twice.
    if (this.toFollow.has(e.guid) || this.waitingFollowers.has(e.guid)) queueMicrotask(() => this.resumeFollowers(e.guid));
    // After a failure the engine marks the experiment FAILED (if the resource was critical)
    // right after this event: decide once it has.
    if (e.state === "FAILED") queueMicrotask(() => this.updateStatus());
    else this.updateStatus();
    // The run was stopped while this resource was still deploying: it stops as soon as it starts.
    if (this.status === "STOPPED" && e.state === "STARTED" && !this.releaseStarted)
      queueMicrotask(() => void this.stopResource(e.guid));
  }

  /** A resource is back to NEW (a redeploy): the run goes on, and its traces are recorded afresh. */
  private redeployed(guid: number): void {
    if (this.status === "FINISHED" || this.status === "FINISHED_WITH_FAILURES") this.setStatus("RUNNING", undefined);
    const names = this.document.resources.find((r) => r.guid === guid)?.traces ?? [];
    if (names.length === 0) return;
    this.toFollow.set(guid, [...names]);
    void this.traces.restart(guid).then(() => this.resumeFollowers(guid));
  }

  /** A condition's delay started or it opened: kept and streamed like a transition. */
  private onGate(g: GateEvent): void {
    if (g.status === "armed") this.armedGates.set(g.gate, g);
    else this.armedGates.delete(g.gate);
    const seq = ++this.seq;
    this.store.appendEvent(this.runId, { seq, kind: "gate", gate: g });
    this.publish({ type: "gate", seq, gate: g });
  }

  private resumeFollowers(guid: number): void {
    if (this.closed) return;
    if (this.toFollow.has(guid)) this.followTraces(guid);
    const waiting = this.waitingFollowers.get(guid);
    if (waiting) {
      for (const retry of [...waiting]) retry();
      if (waiting.size === 0) this.waitingFollowers.delete(guid);
    }
  }

  /**
   * A resource's traces are followed from the moment it started (its output files exist
   * then; a follow begun earlier may see nothing until the end).
   */
  private traceReady(guid: number): boolean {
    const state = this.ec.state(guid);
    return hasReached(state, "STARTED") || isTerminal(state);
  }

  private followTraces(guid: number): void {
    if (!this.traceReady(guid)) return;
    const names = this.toFollow.get(guid)!;
    const left = names.filter(
      (name) => !this.traces.follow(guid, name, (g, n, offset, onChunk) => this.ec.followTrace(g, n, { offset }, onChunk)),
    );
    if (left.length) this.toFollow.set(guid, left);
    else this.toFollow.delete(guid);
  }

  private updateStatus(): void {
    // Releasing ends every resource: that is not the run finishing.
    if (this.releaseStarted) return;
    if (this.ec.ecState === "FAILED" && (this.status === "RUNNING" || this.status === "FINISHED")) {
      const failure = this.state.firstFailure();
      const reason =
        this.ec.experimentFailure ??
        (failure ? `resource ${failure.guid} failed: ${failure.reason ?? "no reason given"}` : "the experiment failed");
      this.setStatus("FAILED", reason);
      // A failed experiment released what it started; free the controller too.
      void this.release();
    } else if (this.status === "RUNNING" && this.redeploying === 0 && this.state.allSettled) {
      const failed = this.state.failed();
      if (failed.length === 0) this.setStatus("FINISHED", undefined);
      else this.setStatus("FINISHED_WITH_FAILURES", failuresText(failed));
    }
  }

  /**
   * "Retry failed": the controller runs every FAILED resource again (and what failed because of
   * it), in this run; the run is RUNNING again until they settle. Returns their guids.
   */
  retryFailed(): number[] {
    const guids = this.ec.retryFailed();
    if (guids.length > 0 && this.status !== "RUNNING") {
      this.setStatus("RUNNING", `retrying ${guids.length === 1 ? "guid" : "guids"} ${guids.join(", ")}`);
    }
    return guids;
  }

  setStatus(status: RunStatus, reason: string | undefined, missingTraces: MissingTrace[] = []): void {
    // The same status again (to report missing traces) keeps when it was reached.
    const same = status === this.status;
    this.status = status;
    this.reason = reason;
    const seq = ++this.seq;
    const at = Date.now();
    this.store.setRunStatus(this.runId, status, reason, status === "RUNNING" || same ? undefined : at);
    const extra = { ...(reason !== undefined ? { reason } : {}), ...(missingTraces.length ? { missingTraces } : {}) };
    this.store.appendEvent(this.runId, { seq, kind: "status", status, at, ...extra });
    this.publish({ type: "status", seq, status, at, ...extra });
  }

  /**
   * Subscribers get an event once it is stored: events of one turn of the event loop are
   * written in one transaction, then sent. What a subscriber saw survives a crash.
   */
  private publish(e: RunEvent): void {
    this.outbox.push(e);
    if (this.outbox.length === 1) setImmediate(() => void this.drainOutbox());
  }

  /** Writes what is queued, then sends the events of this turn (batches keep their order: the store writes one at a time). */
  private async drainOutbox(): Promise<void> {
    const batch = this.outbox.splice(0);
    try {
      await this.store.flush();
    } catch (err) {
      // The subscribers still see the run as it is; a resumed stream would miss what was not stored.
      this.log(`run ${this.runId}: events not stored: ${(err as Error).message}`, { level: "error", runId: this.runId });
    }
    for (const e of batch) this.events.emit("event", e);
  }

  snapshot(): Extract<RunEvent, { type: "snapshot" }> {
    return {
      type: "snapshot",
      seq: this.seq,
      status: this.status,
      ...(this.reason !== undefined ? { reason: this.reason } : {}),
      resources: this.state.list(),
      ...(this.armedGates.size > 0 ? { gates: [...this.armedGates.values()] } : {}),
    };
  }

  /** Stops every running resource, and those still deploying once they start; the run becomes STOPPED. */
  async stop(): Promise<void> {
    if (this.status === "RUNNING" || this.status === "FINISHED") this.setStatus("STOPPED", "stopped by the user");
    const running = this.state.list().filter((s) => s.state === "STARTED");
    await Promise.all(running.map((s) => this.stopResource(s.guid)));
  }

  private async stopResource(guid: number): Promise<void> {
    try {
      await this.ec.stop(guid);
    } catch (err) {
      this.log(`run ${this.runId}: stop of resource ${guid}: ${(err as Error).message}`);
    }
  }

  /** Releases everything (idempotent), keeps the traces, frees the controller. */
  release(reason?: string): Promise<void> {
    this.releasing ??= this.doRelease(reason);
    return this.releasing;
  }

  private async doRelease(reason: string | undefined): Promise<void> {
    this.releaseStarted = true;
    this.armedGates.clear();
    try {
      await this.ec.release();
    } catch (err) {
      this.log(`run ${this.runId}: release: ${(err as Error).message}`);
    }
    const neverFollowed = [...this.toFollow].flatMap(([guid, names]) => names.map((n) => [guid, n] as [number, string]));
    await this.traces.close(
      {
        path: async (guid, name) => {
          const p = await this.ec.trace(guid, name, { attr: "PATH" });
          // A path on this machine only (a remote one is not collected).
          return typeof p === "string" && isAbsolute(p) && p.startsWith(runDirOf(this.place)) ? p : undefined;
        },
        text: async (guid, name) => String(await this.ec.trace(guid, name, { attr: "ALL" })),
      },
      neverFollowed,
    );
    try {
      await this.ec.shutdown();
    } catch (err) {
      this.log(`run ${this.runId}: shutdown: ${(err as Error).message}`);
    }
    // Traces the release could not collect: kept and sent with the run's last status.
    const missing = this.ec.missingTraces();
    // How the run went stays in the history when it had failures; a released run says so too.
    const kept = this.status === "FAILED" || this.status === "FINISHED_WITH_FAILURES";
    if (!kept) this.setStatus("RELEASED", reason, missing);
    else if (missing.length) this.setStatus(this.status, this.reason, missing);
    this.store.setRunReleased(this.runId, Date.now());
    await this.drainOutbox();
    this.closed = true;
    this.events.emit("closed");
  }
}
