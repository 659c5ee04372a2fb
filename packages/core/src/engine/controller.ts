import type { AttributeValue } from "../model/catalog-schema.js";
import { CampaignSchema, type Campaign } from "../model/campaign.js";
import { NepiError } from "../model/errors.js";
import type { ExperimentDocument, ExperimentDocumentInput } from "../model/document.js";
import type { StateEvent } from "../model/events.js";
import { EcState, ResourceState, stateRank, type ResourceAction } from "../model/states.js";
import { parseTime } from "../model/time.js";
import type { MissingTrace } from "../model/run.js";
import type { WaitReason } from "../model/waiting.js";
import { getAttribute } from "../catalog/attributes.js";
import type { ControllerEvents } from "./controller-events.js";
import { blockedWait, startsTogether, type BlockedWait } from "./design-rules.js";
import { Emitter } from "./emitter.js";
import { Lifecycle, MAX_RANK, type DryRunOptions } from "./lifecycle.js";
import { OperationPool } from "./pool.js";
import { DesignRegistry, toArray, type Group, type RegisterOptions, type TraceWait } from "./registry.js";
import { Release } from "./release.js";
import { isReleased, type Resource } from "./resource-record.js";
import type { TraceQuery, TraceResult } from "./resource-manager.js";
import { validateDocument } from "./validate.js";
import { Schedule, type ScheduledCallback } from "./schedule.js";
import { reachedOneOf } from "./state-wait.js";

export type { ControllerEvents, ExperimentEvent, LogEvent } from "./controller-events.js";
export type { RegisterOptions, TraceWait } from "./registry.js";
export type { DryRunOptions } from "./lifecycle.js";
export type { ScheduledCallback } from "./schedule.js";

export interface ExperimentControllerOptions {
  /** Human-readable experiment id; names the results directory. */
  expId?: string;
  /** Id of this run of the experiment. */
  runId?: string;
  /** Local directory under which `<expId>/<runId>/` holds the results. */
  rootDir?: string;
  /** How many resource operations run at once; default: NEPI_NTHREADS from the environment, or 50. */
  maxConcurrency?: number;
  /** Experiment name (kept by `toDocument`). */
  name?: string;
  /**
   * A dry run: the same design, under the same rules (deploy order, start together,
   * conditions), with every resource that would touch a host run by the `sim::Task` manager
   * instead — no host is reached, and its order of events is the real run's. A resource that
   * ends by itself finishes after `taskDuration` (default 100ms); others run until stopped.
   */
  dryRun?: DryRunOptions;
}

export interface DeployOptions {
  /** Start every resource of the group only once all of them are READY (default true). */
  startTogether?: boolean;
}

export interface WaitOptions {
  /** A NEPI time string, or milliseconds. No timeout by default. */
  timeout?: string | number;
}

function randomId(prefix: string): string {
  const bytes = new Uint8Array(4);
  globalThis.crypto.getRandomValues(bytes);
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** NEPI's NEPI_NTHREADS environment variable where there is one (Node), else 50. */
function defaultConcurrency(): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NEPI_NTHREADS;
  const n = env === undefined ? NaN : Number(env);
  return Number.isInteger(n) && n > 0 ? n : 50;
}

/**
 * NEPI's ExperimentController: holds the resources of one experiment and walks them through
 * their lifecycle in parallel, honouring conditions. The design lives in a `DesignRegistry`
 * (registry.ts), the lifecycle in `Lifecycle` (lifecycle.ts), releasing in `Release`
 * (release.ts); this class is the API over them. Everything is driven by events: a transition
 * wakes exactly the gates and waits indexed on that resource; timers exist only for non-zero
 * user delays.
 */
export class ExperimentController extends Emitter<ControllerEvents> {
  readonly expId: string;
  readonly runId: string;
  readonly rootDir: string;
  readonly maxConcurrency: number;
  name: string;
  /** The document's campaign, kept by `toDocument` (the controller runs one point of it, never the sweep). */
  campaign: Campaign | undefined;

  private readonly design = new DesignRegistry();
  private readonly lifecycle: Lifecycle;
  private readonly releaser: Release;
  private readonly scheduled = new Schedule((err) =>
    this.emit("log", {
      message: `a scheduled callback failed: ${err instanceof Error ? err.message : String(err)}`,
      at: Date.now(),
    }),
  );

  constructor(options: ExperimentControllerOptions = {}) {
    super();
    this.expId = options.expId ?? randomId("exp-");
    this.runId = options.runId ?? randomId("run-");
    this.rootDir = options.rootDir ?? "results";
    this.name = options.name ?? this.expId;
    const max = options.maxConcurrency ?? defaultConcurrency();
    if (!Number.isInteger(max) || max < 1) {
      throw new NepiError("BAD_VALUE", `maxConcurrency: expected a positive integer, got ${max}`, "maxConcurrency");
    }
    this.maxConcurrency = max;
    if (options.dryRun?.taskDuration !== undefined) parseTime(options.dryRun.taskDuration, "dryRun.taskDuration");
    const pool = new OperationPool(max);
    const emit = <K extends keyof ControllerEvents>(name: K, event: ControllerEvents[K]) => this.emit(name, event);
    this.lifecycle = new Lifecycle(this.design, pool, {
      expId: () => this.expId,
      runId: () => this.runId,
      runDir: () => this.runDir,
      emit,
      // The controller's own release(): a subclass's (the Node entry's timeline.json) runs too.
      releaseAll: () => this.release(),
      ...(options.dryRun ? { dryRun: { ...options.dryRun } } : {}),
    });
    this.releaser = new Release(this.design, this.lifecycle, pool, emit);
    // A failed or shut-down experiment calls back no one any more.
    this.on("experiment", (e) => e.state !== EcState.RUNNING && this.scheduled.cancelAll());
  }

  // ---------------------------------------------------------------- documents

  /** Builds a controller from an experiment document; an invalid one is rejected with every problem. */
  static fromDocument<T extends ExperimentController>(
    this: new (options?: ExperimentControllerOptions) => T,
    doc: ExperimentDocumentInput | unknown,
    options: ExperimentControllerOptions = {},
  ): T {
    const problems = validateDocument(doc).filter((p) => p.severity !== "warning");
    if (problems.length > 0) {
      throw new NepiError(
        "INVALID_DOCUMENT",
        `invalid experiment document:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join("\n")}`,
        problems[0]!.path,
        problems,
      );
    }
    const d = doc as ExperimentDocument;
    // `this`: a subclass (the Node entry's controller) builds one of its own kind.
    const ec = new this({ name: d.name, ...options });
    // Parsed: its defaults filled in, as the rest of the document's are by the design.
    ec.campaign = d.campaign === undefined ? undefined : CampaignSchema.parse(d.campaign);
    for (const r of d.resources) {
      ec.registerResource(r.type, r.attributes ?? {}, { guid: r.guid, label: r.label, position: r.position });
      for (const t of r.traces ?? []) ec.registerTrace(r.guid, t);
    }
    for (const c of d.connections ?? []) ec.registerConnection(c.source, c.target);
    for (const c of d.conditions ?? []) {
      const wait =
        c.trace !== undefined && c.matches !== undefined
          ? { trace: c.trace, matches: c.matches, timeout: c.timeout, state: c.state }
          : c.state;
      ec.registerCondition(c.group, c.action, c.after, wait, c.delay);
    }
    for (const c of d.attributeConditions ?? []) {
      ec.setWithConditions(c.attribute, c.value, c.group, c.after, c.state as ResourceState, c.delay);
    }
    return ec;
  }

  /** The experiment as a document (attributes as set, not defaults). */
  toDocument(): ExperimentDocument {
    const doc = this.design.toDocument(this.name);
    return this.campaign ? { ...doc, campaign: this.campaign } : doc;
  }

  // ---------------------------------------------------------------- design

  /** Registers a resource of type `rtype` with initial attribute values; returns its guid. */
  registerResource(rtype: string, attributes: Record<string, AttributeValue> = {}, options: RegisterOptions = {}): number {
    return this.design.register(rtype, attributes, options).guid;
  }

  /** Sets an attribute, enforcing its type, allowed values and flags. */
  set(guid: number, name: string, value: AttributeValue): void {
    const r = this.resource(guid);
    if (this.design.set(r, name, value)) void this.lifecycle.attributeChanged(r, name);
  }

  /** An attribute's value (its default when not set). */
  get(guid: number, name: string): AttributeValue | undefined {
    const r = this.resource(guid);
    getAttribute(r.info, name, this.design.where(r));
    return this.design.attributeValue(r, name);
  }

  /**
   * Connects two resources (order does not matter), checked against the catalog's rules. A
   * resource not deployed yet may join one already running (an application onto a running
   * node), then be deployed with `deploy([guid])`.
   */
  registerConnection(a: number, b: number): void {
    this.design.connect(a, b);
  }

  /**
   * Performs `action` on every resource of `group1` only after every resource of `group2`
   * reached `state`, plus `delay` counted from when the last of them got there.
   */
  registerCondition(
    group1: Group,
    action: ResourceAction,
    group2: Group,
    state: ResourceState | TraceWait,
    delay?: string | number,
  ): void {
    const c = this.design.addCondition(group1, action, group2, state, delay);
    if (c.trace) this.lifecycle.addTraceConditionGate(action, c.subjects, c.after, c.state, c.delayMs, c.trace);
    else this.lifecycle.addConditionGate(action, c.subjects, c.after, c.state, c.delayMs);
  }

  /** Sets attribute `name` to `value` on every resource of `group1` once `group2` reached `state` (+ delay). */
  setWithConditions(
    name: string,
    value: AttributeValue,
    group1: Group,
    group2: Group,
    state: ResourceState,
    delay?: string | number,
  ): void {
    const { subjects, after, delayMs } = this.design.addAttributeCondition(name, value, group1, group2, state, delay);
    this.lifecycle.addConditionGate("SET", subjects, after, state, delayMs, { name, value });
  }

  /** Enables a trace: it is collected during the run. */
  registerTrace(guid: number, name: string): void {
    this.design.addTrace(guid, name);
  }

  // ---------------------------------------------------------------- run

  get ecState(): EcState {
    return this.lifecycle.ecState;
  }

  /** Why the experiment failed, when it did. */
  get experimentFailure(): string | undefined {
    return this.lifecycle.failure;
  }

  /** Every guid, in registration order. */
  guids(): number[] {
    return [...this.design.resources.keys()];
  }

  /** The resource type of a guid. */
  rtype(guid: number): string {
    return this.resource(guid).info.rtype;
  }

  label(guid: number): string | undefined {
    return this.resource(guid).label;
  }

  /** Guids connected to `guid`. */
  connections(guid: number): number[] {
    return [...this.resource(guid).connections];
  }

  /** Enabled traces of a resource. */
  traces(guid: number): string[] {
    return [...this.resource(guid).traces];
  }

  state(guid: number): ResourceState {
    return this.resource(guid).state;
  }

  /** Whether deploy() took the resource in (a partial deploy leaves the others NEW). */
  deployed(guid: number): boolean {
    return this.design.deployed(this.resource(guid));
  }

  /** Why a resource failed, or undefined. */
  failure(guid: number): string | undefined {
    const r = this.resource(guid);
    return r.state === ResourceState.FAILED || r.reason !== undefined ? r.reason : undefined;
  }

  /**
   * What a resource waits for before its next state, in words (`text`) and as data: its
   * conditions, its deploy order, the start-together barrier, a pool slot, a step in progress.
   * Empty when it waits on nothing (not deployed, or done).
   */
  waitingOn(guid: number): WaitReason[] {
    return this.lifecycle.explainer().waitingOn(this.resource(guid));
  }

  /** `waitingOn` of every resource that waits on something (a shared barrier is looked at once). */
  waitingOnAll(): Map<number, WaitReason[]> {
    const explainer = this.lifecycle.explainer();
    const out = new Map<number, WaitReason[]>();
    for (const r of this.design.resources.values()) {
      const reasons = explainer.waitingOn(r);
      if (reasons.length > 0) out.set(r.guid, reasons);
    }
    return out;
  }

  /** The enabled traces a release could not collect, and why (empty when none was lost). */
  missingTraces(): MissingTrace[] {
    return this.releaser.missing.all();
  }

  /** Every transition of every resource, in order (the objects the `state` event carried). */
  timeline(): readonly StateEvent[] {
    return this.lifecycle.events;
  }

  /**
   * Schedules the deployment of `group` (every NEW resource by default) and returns at once.
   * Each resource is discovered then provisioned once what it depends on is ready and its
   * DEPLOY conditions hold; by default the group then starts together once all are READY.
   */
  deploy(group?: Group, options: DeployOptions = {}): void {
    this.lifecycle.assertRunning("deploy");
    const members = this.lifecycle.membersToDeploy(group);
    if (members.length === 0) return;
    // Check everything before changing anything: a refused deploy leaves the experiment as it was.
    this.lifecycle.refuseUndeployable(members);
    const together =
      options.startTogether !== false
        ? startsTogether(
            this.design.view,
            members.map((r) => r.guid),
          )
        : [];
    const blocked = this.blockedWait(together);
    if (blocked) throw new NepiError(blocked.code, blocked.message);
    this.lifecycle.schedule(members, together);
  }

  /** A wait of the design that could never be satisfied with `together` starting together. */
  protected blockedWait(together: readonly number[]): BlockedWait | undefined {
    return blockedWait(this.design.view, together);
  }

  /** Starts a READY resource now (conditions are not consulted). */
  start(guid: number): Promise<void> {
    return this.lifecycle.start(this.resource(guid));
  }

  /** Stops a STARTED resource now. */
  stop(guid: number): Promise<void> {
    return this.lifecycle.stop(this.resource(guid));
  }

  /**
   * "Retry failed": runs every FAILED resource again, in this run, from where it failed (a
   * deployed one starts again, others deploy again), with what failed because of it; what did
   * not fail is not redeployed. Each gets a new round of `retries`. Returns their guids (none:
   * nothing had failed). Refused once the experiment failed (a critical failure released it).
   */
  retryFailed(): number[] {
    return this.lifecycle.retryFailed();
  }

  /** Resolves when every guid is READY (or later). */
  waitDeployed(guids: Group, options: WaitOptions = {}): Promise<void> {
    return this.waitFor(guids, "READY", (r) => r.maxRank >= stateRank("READY"), true, options);
  }
  /** Resolves when every guid has STARTED (or ended after starting). */
  waitStarted(guids: Group, options: WaitOptions = {}): Promise<void> {
    return this.waitFor(guids, "STARTED", (r) => r.maxRank >= stateRank("STARTED"), true, options);
  }
  /** Resolves when every guid is FINISHED or STOPPED. */
  waitFinished(guids: Group, options: WaitOptions = {}): Promise<void> {
    return this.waitFor(guids, "FINISHED", (r) => r.maxRank >= MAX_RANK, true, options);
  }
  /** Resolves when every guid is released (a failed resource stays FAILED once released). */
  waitReleased(guids: Group, options: WaitOptions = {}): Promise<void> {
    return this.waitFor(guids, "RELEASED", isReleased, false, options);
  }

  /** Resolves when every guid reached one of `states` (a state or a later one, FAILED, RELEASED). */
  wait(guids: Group, states: ResourceState | readonly ResourceState[], options: WaitOptions = {}): Promise<void> {
    const list = typeof states === "string" ? [states] : [...states];
    const accept = reachedOneOf(list);
    // Waiting for a release must outlive the experiment's failure (the release follows it).
    const onFailure = !list.includes(ResourceState.RELEASED);
    return this.waitFor(guids, list.join(" or "), accept, onFailure, options);
  }

  /**
   * Calls `callback` once `delay` (a time string, or milliseconds) has passed, as NEPI's
   * `schedule`; not once the experiment failed or was shut down. A callback that throws is
   * reported as a `log` event.
   */
  schedule(delay: string | number, callback: () => unknown): ScheduledCallback {
    this.lifecycle.assertRunning("schedule");
    if (typeof callback !== "function") throw new NepiError("BAD_VALUE", "schedule: callback: expected a function", "callback");
    return this.scheduled.add(parseTime(delay, "delay"), callback);
  }

  /** Local directory of this run's results: `<rootDir>/<expId>/<runId>`. */
  get runDir(): string {
    return `${this.rootDir}/${this.expId}/${this.runId}`;
  }

  /** Frees what the resources use (all by default), after whatever they are doing now. */
  async release(group?: Group): Promise<void> {
    await this.releaser.release(group === undefined ? [...this.design.resources.values()] : this.design.group(group));
  }

  /**
   * Releases one deployed resource and deploys it again, under the usual rules: what runs on it
   * (its applications) is released first and deployed again after it; each waits again for its
   * deploy order and conditions, and goes back through its lifecycle (NEW, DISCOVERED…), every
   * transition in the timeline. Resolves once they are scheduled again (wait with
   * `waitStarted`); what they are doing now is finished first, as for `release`.
   */
  async redeploy(guid: number): Promise<void> {
    this.lifecycle.assertRunning("redeploy");
    const members = this.lifecycle.membersToRedeploy(this.resource(guid));
    for (const r of members) this.lifecycle.markRedeploying(r);
    await this.releaser.release(
      members.filter((r) => r.phase.kind !== "redeploying"),
      true,
    );
    const gone = members.find((r) => r.phase.kind !== "redeploying");
    if (gone || this.ecState !== EcState.RUNNING) {
      this.lifecycle.redeployCancelled(members);
      this.lifecycle.assertRunning("redeploy");
      throw new NepiError("WRONG_STATE", `redeploy: ${this.design.where(gone!)} was released meanwhile`, "guid");
    }
    const guids = members.map((r) => r.guid);
    this.lifecycle.redeploy(members, startsTogether(this.design.view, guids));
  }

  /** Releases everything and ends the controller. */
  async shutdown(): Promise<void> {
    await this.release();
    this.lifecycle.terminate();
  }

  /** Reads a trace (NEPI's TraceAttr: ALL, STREAM, PATH, SIZE). */
  async trace(guid: number, name: string, query: TraceQuery = {}): Promise<TraceResult> {
    const r = this.resource(guid);
    this.design.checkTrace(r, name);
    if (!r.manager?.trace) {
      throw new NepiError(
        "WRONG_STATE",
        `${this.design.where(r)}: trace "${name}" is not available (${r.manager ? "the resource has no traces" : "not deployed"})`,
      );
    }
    return r.manager.trace(name, query);
  }

  /** Follows a trace live from byte `offset`; returns a function that stops following. */
  followTrace(
    guid: number,
    name: string,
    options: { offset?: number },
    onChunk: (chunk: string, offset: number) => void,
  ): () => void {
    const r = this.resource(guid);
    this.design.checkTrace(r, name);
    if (!r.manager?.followTrace) {
      throw new NepiError(
        "WRONG_STATE",
        `${this.design.where(r)}: trace "${name}" cannot be followed (${r.manager ? "not supported" : "not deployed"})`,
      );
    }
    return r.manager.followTrace(name, options.offset ?? 0, onChunk);
  }

  // ---------------------------------------------------------------- internals

  private resource(guid: number): Resource {
    return this.design.resource(guid);
  }

  private waitFor(
    group: Group,
    what: string,
    accept: (r: Resource) => boolean,
    rejectOnExperimentFailure: boolean,
    options: WaitOptions,
  ): Promise<void> {
    const resources = [...new Set(toArray(group))].map((g) => this.resource(g));
    return this.lifecycle.waits.wait(resources, what, accept, {
      rejectOnExperimentFailure,
      experimentFailure: this.ecState === EcState.FAILED ? this.experimentFailure : undefined,
      timeoutMs: options.timeout === undefined ? undefined : parseTime(options.timeout, "timeout"),
      timeoutText: String(options.timeout),
    });
  }
}
