import type { AttributeValue } from "../model/catalog-schema.js";
import { NepiError } from "../model/errors.js";
import type { AttributeConditionDoc, ConditionDoc, ExperimentDocument, ExperimentDocumentInput } from "../model/document.js";
import { DOCUMENT_FORMAT } from "../model/document.js";
import type { StateEvent } from "../model/events.js";
import {
  EcState,
  RESOURCE_ACTIONS,
  RESOURCE_STATES,
  ResourceState,
  isTerminal,
  stateRank,
  type ResourceAction,
} from "../model/states.js";
import { parseTime } from "../model/time.js";
import { checkAttributeValue, getAttribute } from "../catalog/attributes.js";
import { getResourceManagerFactory, getResourceType } from "../catalog/registry.js";
import { connectionRule, missingRequiredAttributes, traceProblem } from "../catalog/rules.js";
import { blockedWait, deployDependencies, startsTogether, type BlockedWait } from "./design-rules.js";
import type { DesignView } from "./design-view.js";
import { Emitter } from "./emitter.js";
import { GateWatch, describeGate, type Gate } from "./gates.js";
import { OperationPool } from "./pool.js";
import type { TraceQuery, TraceResult } from "./resource-manager.js";
import { validateDocument } from "./validate.js";
import { WaitIndex } from "./waits.js";
import type { Resource } from "./resource-record.js";
import { ResourceContextImpl, type ContextHost } from "./context.js";

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
}

export interface DeployOptions {
  /** Start every resource of the group only once all of them are READY (default true). */
  startTogether?: boolean;
}

export interface WaitOptions {
  /** A NEPI time string, or milliseconds. No timeout by default. */
  timeout?: string | number;
}

export interface RegisterOptions {
  guid?: number;
  label?: string;
  position?: { x: number; y: number };
}

export interface LogEvent {
  guid?: number;
  message: string;
  at: number;
}

export interface ExperimentEvent {
  state: EcState;
  reason?: string;
  at: number;
}

export interface ControllerEvents extends Record<string, unknown> {
  state: StateEvent;
  log: LogEvent;
  experiment: ExperimentEvent;
}

type Group = number | readonly number[];

const NOT_REACHED = -1;
/** Ranks of the states a resource passes through in order (STOPPED and FINISHED share 5). */
const MAX_RANK = 5;


function randomId(prefix: string): string {
  const bytes = new Uint8Array(4);
  globalThis.crypto.getRandomValues(bytes);
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** NEPI's NEPI_NTHREADS environment variable where there is one (Node), else 50. */
function defaultConcurrency(): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NEPI_NTHREADS;
  const n = env === undefined ? NaN : Number(env);
  return Number.isInteger(n) && n > 0 ? n : 50;
}

/** Calls `k` with the value now when there is no promise to wait for. */
function andThen<T>(value: T | Promise<T>, k: (v: T) => void): void {
  if (value instanceof Promise) void value.then(k);
  else k(value);
}

function toArray(group: Group): number[] {
  return typeof group === "number" ? [group] : [...group];
}

/**
 * NEPI's ExperimentController: holds the resources of one experiment and walks them through
 * their lifecycle in parallel, honouring conditions. Everything is driven by events: a
 * transition wakes exactly the gates and waits indexed on that resource; timers exist only for
 * non-zero user delays.
 */
export class ExperimentController extends Emitter<ControllerEvents> {
  readonly expId: string;
  readonly runId: string;
  readonly rootDir: string;
  readonly maxConcurrency: number;
  name: string;

  private readonly resources = new Map<number, Resource>();
  private readonly events: StateEvent[] = [];
  private readonly conditions: ConditionDoc[] = [];
  private readonly attributeConditions: AttributeConditionDoc[] = [];
  /** The design as the engine's rules read it (design-rules.ts). */
  private readonly design: DesignView = {
    guids: () => this.resources.keys(),
    info: (g) => this.resources.get(g)?.info,
    value: (g, name) => {
      const r = this.resources.get(g);
      return r && this.attributeValue(r, name);
    },
    connections: (g) => this.resources.get(g)?.connections ?? [],
    conditions: this.conditions,
    attributeConditions: this.attributeConditions,
  };
  private readonly gateWatch = new GateWatch({
    resource: (g) => this.resource(g),
    where: (r) => this.where(r),
    opened: (gate) => this.openGate(gate),
    broken: (gate, cause) => this.breakGate(gate, cause),
  });
  private readonly waits = new WaitIndex({ resource: (g) => this.resource(g), where: (r) => this.where(r) });
  private readonly pool: OperationPool;
  private nextGuid = 1;
  private state_: EcState = EcState.RUNNING;
  private failureReason?: string;
  /** Work deferred to avoid deep recursion when failures cascade along long chains. */
  private deferred: Array<() => void> = [];
  private draining = false;

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
    this.pool = new OperationPool(max);
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
    for (const r of d.resources) {
      ec.registerResource(r.type, r.attributes ?? {}, { guid: r.guid, label: r.label, position: r.position });
      for (const t of r.traces ?? []) ec.registerTrace(r.guid, t);
    }
    for (const c of d.connections ?? []) ec.registerConnection(c.source, c.target);
    for (const c of d.conditions ?? []) ec.registerCondition(c.group, c.action, c.after, c.state, c.delay);
    for (const c of d.attributeConditions ?? []) {
      ec.setWithConditions(c.attribute, c.value, c.group, c.after, c.state as ResourceState, c.delay);
    }
    return ec;
  }

  /** The experiment as a document (attributes as set, not defaults). */
  toDocument(): ExperimentDocument {
    const resources = [...this.resources.values()].map((r) => ({
      guid: r.guid,
      type: r.info.rtype,
      ...(r.label !== undefined ? { label: r.label } : {}),
      attributes: Object.fromEntries(r.values),
      traces: [...r.traces],
      ...(r.position ? { position: { ...r.position } } : {}),
    }));
    const connections: { source: number; target: number }[] = [];
    for (const r of this.resources.values()) {
      for (const other of r.connections) if (r.guid < other) connections.push({ source: r.guid, target: other });
    }
    const doc: ExperimentDocument = {
      format: DOCUMENT_FORMAT,
      name: this.name,
      resources,
      connections,
      conditions: this.conditions.map((c) => ({ ...c, group: [...c.group], after: [...c.after] })),
    };
    if (this.attributeConditions.length > 0) {
      doc.attributeConditions = this.attributeConditions.map((c) => ({
        group: [...c.group],
        attribute: c.attribute,
        value: c.value,
        after: [...c.after],
        state: c.state,
        ...(c.delay !== undefined ? { delay: c.delay } : {}),
      }));
    }
    return doc;
  }

  // ---------------------------------------------------------------- design

  /** Registers a resource of type `rtype` with initial attribute values; returns its guid. */
  registerResource(rtype: string, attributes: Record<string, AttributeValue> = {}, options: RegisterOptions = {}): number {
    const info = getResourceType(rtype);
    let guid = options.guid;
    if (guid !== undefined) {
      if (!Number.isInteger(guid) || guid < 1) throw new NepiError("BAD_VALUE", `guid: expected a positive integer, got ${guid}`, "guid");
      if (this.resources.has(guid)) throw new NepiError("DUPLICATE_GUID", `guid: ${guid} is already used by ${this.describe(guid)}`, "guid");
    } else {
      while (this.resources.has(this.nextGuid)) this.nextGuid++;
      guid = this.nextGuid;
    }
    const where = `guid ${guid} (${options.label ?? rtype})`;
    // Check every value before registering, so a bad one leaves nothing half-made.
    const values = new Map<string, AttributeValue>();
    for (const [name, value] of Object.entries(attributes)) {
      const def = getAttribute(info, name, where, `attributes.${name}`);
      values.set(name, checkAttributeValue(def, value, where, `attributes.${name}`));
    }
    this.resources.set(guid, {
      guid,
      info,
      label: options.label,
      position: options.position,
      values,
      traces: new Set(),
      connections: [],
      state: ResourceState.NEW,
      maxRank: 0,
      reachedAt: [0, NOT_REACHED, NOT_REACHED, NOT_REACHED, NOT_REACHED, NOT_REACHED],
      history: [],
      gates: [],
      pending: { DEPLOY: 0, START: 0, STOP: 0 },
      hasStopGate: false,
      scheduled: false,
      busy: {},
      inflight: 0,
      releasing: false,
      released: false,
    });
    if (guid >= this.nextGuid) this.nextGuid = guid + 1;
    return guid;
  }

  /** Sets an attribute, enforcing its type, allowed values and flags. */
  set(guid: number, name: string, value: AttributeValue): void {
    const r = this.resource(guid);
    const where = this.where(r);
    const def = getAttribute(r.info, name, where);
    const deployed = r.scheduled || r.state !== ResourceState.NEW;
    if (def.flags.execReadOnly) {
      throw new NepiError("READ_ONLY", `${where}: attribute "${name}" is read-only (set by the resource itself)`);
    }
    if (deployed && def.flags.design) {
      throw new NepiError("READ_ONLY", `${where}: attribute "${name}" is a design attribute: it cannot be set after deploy (state ${r.state})`);
    }
    if (deployed && def.flags.execImmutable) {
      throw new NepiError("READ_ONLY", `${where}: attribute "${name}" cannot be changed once deployed (state ${r.state})`);
    }
    r.values.set(name, checkAttributeValue(def, value, where));
    if (deployed) void this.attributeChanged(r, name);
  }

  /** An attribute's value (its default when not set). */
  get(guid: number, name: string): AttributeValue | undefined {
    const r = this.resource(guid);
    getAttribute(r.info, name, this.where(r));
    return this.attributeValue(r, name);
  }

  /** Connects two resources (order does not matter), checked against the catalog's rules. */
  registerConnection(a: number, b: number): void {
    const ra = this.resource(a);
    const rb = this.resource(b);
    if (a === b) throw new NepiError("BAD_CONNECTION", `connection: guid ${a} cannot connect to itself`);
    if (ra.connections.includes(b)) return;
    const rule = connectionRule(ra.info, rb.info);
    if (!rule) {
      throw new NepiError(
        "BAD_CONNECTION",
        `connection: ${this.where(ra)} cannot connect to ${this.where(rb)} (${ra.info.rtype} connects to ${
          ra.info.connections.map((c) => c.rtype).join(", ") || "nothing"
        })`,
      );
    }
    for (const [from, to] of [[ra, rb], [rb, ra]] as const) {
      const own = from.info.connections.find((c) => c.rtype === to.info.rtype);
      if (own?.max != null) {
        const count = from.connections.filter((g) => this.resource(g).info.rtype === to.info.rtype).length;
        if (count >= own.max) {
          throw new NepiError(
            "BAD_CONNECTION",
            `connection: ${this.where(from)} already has ${count} ${to.info.rtype} (at most ${own.max})`,
          );
        }
      }
    }
    if (ra.scheduled || rb.scheduled) {
      throw new NepiError("WRONG_STATE", `connection: ${this.where(ra.scheduled ? ra : rb)} is already deployed`);
    }
    ra.connections.push(b);
    rb.connections.push(a);
  }

  /**
   * Performs `action` on every resource of `group1` only after every resource of `group2`
   * reached `state`, plus `delay` counted from when the last of them got there.
   */
  registerCondition(group1: Group, action: ResourceAction, group2: Group, state: ResourceState, delay?: string | number): void {
    if (!RESOURCE_ACTIONS.includes(action)) {
      throw new NepiError("BAD_CONDITION", `condition action: "${action}" is not one of ${RESOURCE_ACTIONS.join(", ")}`, "action");
    }
    const { subjects, after, delayMs } = this.checkCondition(group1, group2, state, delay);
    const doc: ConditionDoc = { group: subjects, action, after, state };
    if (delay !== undefined) doc.delay = typeof delay === "number" ? `${delay}ms` : delay;
    this.conditions.push(doc);
    const gate = this.gateWatch.make(action, after, state, delayMs, "condition", subjects);
    for (const g of subjects) this.attachGate(this.resource(g), gate);
  }

  /** Sets attribute `name` to `value` on every resource of `group1` once `group2` reached `state` (+ delay). */
  setWithConditions(name: string, value: AttributeValue, group1: Group, group2: Group, state: ResourceState, delay?: string | number): void {
    const { subjects, after, delayMs } = this.checkCondition(group1, group2, state, delay);
    for (const g of subjects) {
      const r = this.resource(g);
      const def = getAttribute(r.info, name, this.where(r));
      if (def.flags.execReadOnly) throw new NepiError("READ_ONLY", `${this.where(r)}: attribute "${name}" is read-only`);
      checkAttributeValue(def, value, this.where(r));
    }
    this.attributeConditions.push({
      group: subjects, attribute: name, value, after, state,
      ...(delay !== undefined ? { delay: typeof delay === "number" ? `${delay}ms` : delay } : {}),
    });
    const gate = this.gateWatch.make("SET", after, state, delayMs, "condition", subjects, { name, value });
    for (const g of subjects) this.attachGate(this.resource(g), gate);
  }

  /** Enables a trace: it is collected during the run. */
  registerTrace(guid: number, name: string): void {
    const r = this.resource(guid);
    const problem = traceProblem(r.info, name);
    if (problem) throw new NepiError("UNKNOWN_TRACE", `${this.where(r)}: ${problem}`);
    r.traces.add(name);
  }

  // ---------------------------------------------------------------- run

  get ecState(): EcState {
    return this.state_;
  }

  /** Why the experiment failed, when it did. */
  get experimentFailure(): string | undefined {
    return this.failureReason;
  }

  /** Every guid, in registration order. */
  guids(): number[] {
    return [...this.resources.keys()];
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

  /** Why a resource failed, or undefined. */
  failure(guid: number): string | undefined {
    const r = this.resource(guid);
    return r.state === ResourceState.FAILED || r.reason !== undefined ? r.reason : undefined;
  }

  /** Every transition of every resource, in order (the objects the `state` event carried). */
  timeline(): readonly StateEvent[] {
    return this.events;
  }

  /**
   * Schedules the deployment of `group` (every NEW resource by default) and returns at once.
   * Each resource is discovered then provisioned once what it depends on is ready and its
   * DEPLOY conditions hold; by default the group then starts together once all are READY.
   */
  deploy(group?: Group, options: DeployOptions = {}): void {
    this.assertRunning("deploy");
    let members: Resource[];
    if (group === undefined) {
      members = [...this.resources.values()].filter((r) => r.state === ResourceState.NEW && !r.scheduled);
    } else {
      members = toArray(group).map((g) => this.resource(g));
      const done = members.filter((r) => r.scheduled || r.state !== ResourceState.NEW);
      if (done.length > 0) {
        throw new NepiError(
          "WRONG_STATE",
          `deploy: ${done.map((r) => `${this.where(r)} is already ${r.scheduled && r.state === "NEW" ? "deploying" : r.state}`).join("; ")}: only NEW resources can be deployed`,
        );
      }
    }
    // What a member deploys after (its node) is deployed with it, or it would wait forever.
    const inGroup = new Set(members.map((r) => r.guid));
    for (let i = 0; i < members.length; i++) {
      for (const dep of deployDependencies(this.design, members[i]!.guid)) {
        const d = this.resource(dep.guid);
        if (!inGroup.has(d.guid) && d.state === ResourceState.NEW && !d.scheduled) {
          inGroup.add(d.guid);
          members.push(d);
        }
      }
    }
    if (members.length === 0) return;

    // Check everything before changing anything: a refused deploy leaves the experiment as it was.
    const problems: string[] = [];
    for (const r of members) {
      for (const name of missingRequiredAttributes(r.info, (n) => this.attributeValue(r, n))) {
        problems.push(`${this.where(r)}: attribute "${name}" is required`);
      }
      for (const rule of r.info.connections) {
        const count = r.connections.filter((g) => this.resource(g).info.rtype === rule.rtype).length;
        if (count < rule.min) problems.push(`${this.where(r)}: needs ${rule.min === 1 ? "a" : rule.min} ${rule.rtype} connection${rule.min === 1 ? "" : "s"} (has ${count})`);
      }
    }
    if (problems.length > 0) {
      throw new NepiError("BAD_VALUE", `deploy refused:\n  ${problems.join("\n  ")}`);
    }
    for (const r of members) getResourceManagerFactory(r.info.rtype);
    const together = options.startTogether !== false ? startsTogether(this.design, members.map((r) => r.guid)) : [];
    const blocked = this.blockedWait(together);
    if (blocked) throw new NepiError(blocked.code, blocked.message);

    for (const r of members) {
      r.scheduled = true;
      this.createManager(r);
      for (const dep of deployDependencies(this.design, r.guid)) {
        this.attachGate(r, this.gateWatch.make("DEPLOY", [dep.guid], dep.state, 0, "deployOrder", [r.guid]));
      }
    }
    if (together.length > 1) {
      const barrier = this.gateWatch.make("START", together, ResourceState.READY, 0, "startTogether", together);
      for (const g of together) this.resource(g).gates.push(barrier);
    }
    for (const r of members) this.armGates(r);
    // deploy() only schedules: the work begins once the caller's code has run (listeners attached…).
    queueMicrotask(() => this.batch(() => {
      for (const r of members) this.tryDeploy(r);
    }));
  }

  /** Starts a READY resource now (conditions are not consulted). */
  start(guid: number): Promise<void> {
    const r = this.resource(guid);
    this.assertRunning("start");
    if (r.state !== ResourceState.READY || r.busy.start) {
      throw new NepiError("WRONG_STATE", `start: ${this.where(r)} is ${r.busy.start ? "already starting" : r.state}: only a READY resource can be started`);
    }
    return new Promise((resolve) => this.startResource(r, resolve));
  }

  /** Stops a STARTED resource now. */
  stop(guid: number): Promise<void> {
    const r = this.resource(guid);
    this.assertRunning("stop");
    if (r.state !== ResourceState.STARTED || r.busy.stop) {
      throw new NepiError("WRONG_STATE", `stop: ${this.where(r)} is ${r.busy.stop ? "already stopping" : r.state}: only a STARTED resource can be stopped`);
    }
    return new Promise((resolve) => this.stopResource(r, resolve));
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
    return this.waitFor(guids, "RELEASED", (r) => r.released, false, options);
  }

  /** Local directory of this run's results: `<rootDir>/<expId>/<runId>`. */
  get runDir(): string {
    return `${this.rootDir}/${this.expId}/${this.runId}`;
  }

  /** Frees what the resources use (all by default), after whatever they are doing now. */
  async release(group?: Group): Promise<void> {
    const targets = group === undefined ? [...this.resources.values()] : toArray(group).map((g) => this.resource(g));
    for (const r of targets) {
      r.releasing = true;
      r.abort?.abort();
    }
    const chosen = new Set(targets.map((r) => r.guid));
    const pending: Promise<void>[] = [];
    for (const r of targets) {
      const p = this.releaseResource(r, chosen);
      if (p) pending.push(p);
    }
    await Promise.all(pending);
  }

  /** Releases everything and ends the controller. */
  async shutdown(): Promise<void> {
    await this.release();
    this.gateWatch.cancelTimers();
    if (this.state_ === EcState.RUNNING) this.setEcState(EcState.TERMINATED);
  }

  /** Reads a trace (NEPI's TraceAttr: ALL, STREAM, PATH, SIZE). */
  async trace(guid: number, name: string, query: TraceQuery = {}): Promise<TraceResult> {
    const r = this.resource(guid);
    const problem = traceProblem(r.info, name);
    if (problem) throw new NepiError("UNKNOWN_TRACE", `${this.where(r)}: ${problem}`);
    if (!r.manager?.trace) {
      throw new NepiError("WRONG_STATE", `${this.where(r)}: trace "${name}" is not available (${r.manager ? "the resource has no traces" : "not deployed"})`);
    }
    return r.manager.trace(name, query);
  }

  /** Follows a trace live from byte `offset`; returns a function that stops following. */
  followTrace(guid: number, name: string, options: { offset?: number }, onChunk: (chunk: string, offset: number) => void): () => void {
    const r = this.resource(guid);
    const problem = traceProblem(r.info, name);
    if (problem) throw new NepiError("UNKNOWN_TRACE", `${this.where(r)}: ${problem}`);
    if (!r.manager?.followTrace) {
      throw new NepiError("WRONG_STATE", `${this.where(r)}: trace "${name}" cannot be followed (${r.manager ? "not supported" : "not deployed"})`);
    }
    return r.manager.followTrace(name, options.offset ?? 0, onChunk);
  }

  /** A wait of the design that could never be satisfied with `together` starting together. */
  protected blockedWait(together: readonly number[]): BlockedWait | undefined {
    return blockedWait(this.design, together);
  }

  // ---------------------------------------------------------------- internals: registry

  private resource(guid: number): Resource {
    const r = this.resources.get(guid);
    if (!r) {
      const known = this.resources.size === 0 ? "none registered" : `known: ${this.knownGuids()}`;
      throw new NepiError("UNKNOWN_GUID", `unknown guid ${JSON.stringify(guid)} (${known})`, "guid");
    }
    return r;
  }

  private knownGuids(): string {
    const all = [...this.resources.keys()];
    return all.length > 10 ? `${all.slice(0, 10).join(", ")}, … (${all.length} in all)` : all.join(", ");
  }

  private describe(guid: number): string {
    const r = this.resources.get(guid);
    return r ? this.where(r) : `guid ${guid}`;
  }

  private where(r: Resource): string {
    return `guid ${r.guid} (${r.label ?? r.info.rtype})`;
  }

  private attributeValue(r: Resource, name: string): AttributeValue | undefined {
    const v = r.values.get(name);
    if (v !== undefined) return v;
    return r.info.attributes.find((a) => a.name === name)?.default;
  }

  private assertRunning(what: string): void {
    if (this.state_ === EcState.FAILED) {
      throw new NepiError("EXPERIMENT_FAILED", `${what}: the experiment has failed (${this.failureReason})`);
    }
    if (this.state_ === EcState.TERMINATED) {
      throw new NepiError("WRONG_STATE", `${what}: the experiment controller was shut down`);
    }
  }

  private checkCondition(group1: Group, group2: Group, state: ResourceState, delay?: string | number) {
    const subjects = [...new Set(toArray(group1))];
    const after = [...new Set(toArray(group2))];
    if (subjects.length === 0) throw new NepiError("BAD_CONDITION", "condition group: expected at least one guid", "group");
    if (after.length === 0) throw new NepiError("BAD_CONDITION", "condition after: expected at least one guid", "after");
    for (const g of [...subjects, ...after]) this.resource(g);
    const waitable = RESOURCE_STATES.filter((s) => stateRank(s) > 0);
    if (!waitable.includes(state)) {
      throw new NepiError("BAD_CONDITION", `condition state: "${state}" cannot be waited for (one of ${waitable.join(", ")})`, "state");
    }
    const self = subjects.find((g) => after.includes(g));
    if (self !== undefined) {
      throw new NepiError("BAD_CONDITION", `condition: ${this.describe(self)} cannot wait on itself`, "after");
    }
    const delayMs = delay === undefined ? 0 : parseTime(delay, "delay");
    return { subjects, after, delayMs };
  }

  private createManager(r: Resource): void {
    r.manager = getResourceManagerFactory(r.info.rtype)(new ResourceContextImpl(this.contextHost, r));
  }

  /** What resource contexts may reach of the controller: one object shared by all of them. */
  private readonly contextHost: ContextHost = {
    expId: () => this.expId,
    runId: () => this.runId,
    runDir: () => this.runDir,
    resource: (guid) => this.resource(guid),
    attribute: (r, name) => this.attributeValue(r, name),
    ended: (r, failure) => this.resourceEnded(r, failure),
    log: (guid, message) => this.emit("log", { guid, message, at: Date.now() }),
  };

  private async attributeChanged(r: Resource, name: string): Promise<void> {
    const value = this.attributeValue(r, name);
    if (value === undefined || !r.manager?.onAttributeChanged) return;
    try {
      await r.manager.onAttributeChanged(name, value);
    } catch (err) {
      this.failResource(r, `setting "${name}" failed: ${errorMessage(err)}`);
    }
  }

  // ---------------------------------------------------------------- internals: gates

  private attachGate(r: Resource, gate: Gate): void {
    r.gates.push(gate);
    if (gate.action === "STOP") r.hasStopGate = true;
    // Conditions registered on a resource already deployed take effect at once.
    if (r.scheduled) this.armGate(r, gate);
  }

  /** Called when `r` is deployed: each of its gates starts counting for it. */
  private armGates(r: Resource): void {
    for (const gate of r.gates) this.armGate(r, gate);
  }

  /** Each (resource, gate) pair is armed once: at deploy, or on attach when already deployed. */
  private armGate(r: Resource, gate: Gate): void {
    if (gate.opened) {
      if (gate.action === "SET") this.applySet(r, gate);
      return;
    }
    if (gate.broken) {
      this.breakFor(r, gate, gate.broken);
      return;
    }
    gate.counted.push(r.guid);
    if (gate.action !== "SET") r.pending[gate.action]++;
    this.gateWatch.arm(gate);
  }

  /** A gate opened: each subject counting it has one wait less, and acts when none is left. */
  private openGate(gate: Gate): void {
    if (this.state_ !== EcState.RUNNING) return;
    for (const g of gate.counted) {
      const r = this.resource(g);
      if (gate.action === "SET") {
        this.applySet(r, gate);
        continue;
      }
      const action = gate.action;
      // Through the trampoline: a chain of zero-delay conditions must not grow the stack.
      if (--r.pending[action] === 0) this.defer(() => this.tryAction(r, action));
    }
  }

  /** A gate can never open: each subject still waiting for it fails, naming the cause. */
  private breakGate(gate: Gate, cause: string): void {
    for (const g of gate.counted) this.breakFor(this.resource(g), gate, cause);
  }

  /** A gate `r` waits on can never open: `r` fails at once, naming the cause. */
  private breakFor(r: Resource, gate: Gate, cause: string): void {
    if (r.releasing || isTerminal(r.state)) return;
    const rank = r.maxRank;
    const stillPending =
      gate.action === "DEPLOY" ? r.state === ResourceState.NEW :
      gate.action === "START" ? rank < stateRank("STARTED") :
      gate.action === "STOP" ? rank < MAX_RANK : true;
    if (!stillPending) return;
    const verb = gate.action === "SET" ? `set "${gate.set?.name}"` : gate.action;
    this.defer(() => this.state_ === EcState.RUNNING && this.failResource(r, `cannot ${verb}: it waits for ${describeGate(gate)}, but ${cause}`));
  }

  private applySet(r: Resource, gate: Gate): void {
    if (!gate.set || r.releasing || isTerminal(r.state)) return;
    r.values.set(gate.set.name, gate.set.value);
    void this.attributeChanged(r, gate.set.name);
  }

  // ---------------------------------------------------------------- internals: actions

  private tryAction(r: Resource, action: "DEPLOY" | "START" | "STOP"): void {
    if (action === "DEPLOY") this.tryDeploy(r);
    else if (action === "START") this.tryStart(r);
    else this.tryStop(r);
  }

  private canAct(r: Resource): boolean {
    return this.state_ === EcState.RUNNING && !r.releasing && r.scheduled;
  }

  private tryDeploy(r: Resource): void {
    if (!this.canAct(r) || r.state !== ResourceState.NEW || r.pending.DEPLOY > 0 || r.busy.deploy) return;
    this.deployResource(r);
  }

  private tryStart(r: Resource): void {
    if (!this.canAct(r) || r.state !== ResourceState.READY || r.pending.START > 0 || r.busy.start) return;
    this.startResource(r);
  }

  private tryStop(r: Resource): void {
    if (!this.canAct(r) || !r.hasStopGate || r.state !== ResourceState.STARTED || r.pending.STOP > 0 || r.busy.stop) return;
    this.stopResource(r);
  }

  /** An operation of `r` begins; release waits until none is in progress. */
  private begin(r: Resource): void {
    r.inflight++;
  }

  private end(r: Resource): void {
    if (--r.inflight === 0 && r.idle) {
      const done = r.idle;
      r.idle = undefined;
      done();
    }
  }

  /** Resolves once no operation of `r` is in progress. */
  private whenIdle(r: Resource): Promise<void> {
    if (r.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = r.idle;
      r.idle = previous ? () => (previous(), resolve()) : resolve;
    });
  }

  /**
   * Runs one step of a resource's manager inside the operation pool: true when it succeeded.
   * A step that needs no waiting (no free-slot wait, a synchronous manager) completes
   * synchronously, without a promise: 100,000 sim tasks stay cheap.
   */
  private step(r: Resource, name: "discover" | "provision" | "start" | "stop"): boolean | Promise<boolean> {
    const fn = r.manager?.[name];
    if (!fn) return true;
    if (this.pool.tryAcquire()) return this.runStep(r, name, fn);
    return this.pool.acquire().then(() => this.runStep(r, name, fn));
  }

  private runStep(r: Resource, name: string, fn: () => unknown): boolean | Promise<boolean> {
    let result: unknown;
    try {
      if (!this.stillGoing(r)) {
        this.pool.release();
        return false;
      }
      result = fn.call(r.manager);
    } catch (err) {
      this.pool.release();
      return this.stepFailed(r, name, err);
    }
    if (result instanceof Promise || (result && typeof (result as PromiseLike<unknown>).then === "function")) {
      return Promise.resolve(result).then(
        () => (this.pool.release(), true),
        (err) => (this.pool.release(), this.stepFailed(r, name, err)),
      );
    }
    this.pool.release();
    return true;
  }

  private stepFailed(r: Resource, name: string, err: unknown): false {
    // An operation cut short by a release or by the experiment's failure is not a failure of its own.
    if (this.stillGoing(r)) this.failResource(r, `${name} failed: ${errorMessage(err)}`);
    return false;
  }

  private stillGoing(r: Resource): boolean {
    return !r.releasing && !isTerminal(r.state) && this.state_ === EcState.RUNNING;
  }

  /**
   * The lifecycle steps are written as continuations rather than async functions: a step that
   * completes synchronously goes straight on, so a sim::Task costs no promise at all.
   */
  private deployResource(r: Resource): void {
    r.busy.deploy = true;
    this.begin(r);
    const done = () => {
      r.busy.deploy = undefined;
      this.end(r);
    };
    andThen(this.step(r, "discover"), (ok) => {
      if (!ok || !this.stillGoing(r)) return done();
      this.transition(r, ResourceState.DISCOVERED);
      andThen(this.step(r, "provision"), (ok2) => {
        if (ok2 && this.stillGoing(r)) {
          this.transition(r, ResourceState.PROVISIONED);
          this.transition(r, ResourceState.READY);
        }
        done();
      });
    });
  }

  private startResource(r: Resource, onDone?: () => void): void {
    r.busy.start = true;
    this.begin(r);
    andThen(this.step(r, "start"), (ok) => {
      if (ok && this.stillGoing(r)) this.transition(r, ResourceState.STARTED);
      r.busy.start = undefined;
      const early = r.earlyEnd;
      if (early) {
        r.earlyEnd = undefined;
        this.resourceEnded(r, early.reason);
      }
      this.end(r);
      onDone?.();
    });
  }

  private stopResource(r: Resource, onDone?: () => void): void {
    r.busy.stop = true;
    this.begin(r);
    andThen(this.step(r, "stop"), (ok) => {
      if (ok && r.state === ResourceState.STARTED && !r.releasing) this.transition(r, ResourceState.STOPPED);
      r.busy.stop = undefined;
      this.end(r);
      onDone?.();
    });
  }

  /** The manager reports that a running resource ended by itself (reason: it failed). */
  private resourceEnded(r: Resource, failure?: string): void {
    if (r.busy.start) {
      r.earlyEnd = { reason: failure };
      return;
    }
    if (r.state !== ResourceState.STARTED) return;
    if (failure !== undefined) this.failResource(r, failure);
    else this.transition(r, ResourceState.FINISHED);
  }

  private failResource(r: Resource, reason: string): void {
    if (r.state === ResourceState.FAILED || r.state === ResourceState.RELEASED || r.released) return;
    // The cascade to dependents is deferred until this failure (and its criticality) is recorded.
    this.batch(() => {
      this.transition(r, ResourceState.FAILED, reason);
      r.abort?.abort();
      if (this.attributeValue(r, "critical") !== false) {
        this.failExperiment(`${this.where(r)} failed: ${reason}`);
      }
    });
  }

  /** A critical failure: no new work, waits reject, and what was started is released. */
  private failExperiment(reason: string): void {
    if (this.state_ !== EcState.RUNNING) return;
    this.failureReason = reason;
    this.gateWatch.cancelTimers();
    this.setEcState(EcState.FAILED, reason);
    this.waits.experimentFailed(reason);
    this.release().catch((err) => this.emit("log", { message: `release after failure: ${errorMessage(err)}`, at: Date.now() }));
  }

  private setEcState(state: EcState, reason?: string): void {
    this.state_ = state;
    this.emit("experiment", { state, ...(reason !== undefined ? { reason } : {}), at: Date.now() });
  }

  /**
   * Releases one resource: after the resources that run on it (applications before their node)
   * and after its operations in progress. Synchronous when nothing needs waiting for, so that
   * releasing 100,000 sim tasks costs no promise each; otherwise returns the promise of it.
   */
  private releaseResource(r: Resource, chosen: Set<number>): Promise<void> | void {
    if (r.released) return;
    if (r.releaseDone) return r.releaseDone;
    const before: Promise<void>[] = [];
    for (const g of r.connections) {
      const d = this.resource(g);
      if (!chosen.has(g) || !deployDependencies(this.design, g).some((x) => x.guid === r.guid)) continue;
      const p = this.releaseResource(d, chosen);
      if (p) before.push(p);
    }
    if (r.inflight > 0) before.push(this.whenIdle(r));
    const result = before.length > 0 ? Promise.all(before).then(() => this.releaseNow(r)) : this.releaseNow(r);
    if (result) r.releaseDone = result;
    return result;
  }

  private releaseNow(r: Resource): Promise<void> | void {
    const m = r.manager;
    if (!m || (!m.collectTraces && !m.release)) return this.markReleased(r);
    const log = (what: string, err: unknown) =>
      this.emit("log", { guid: r.guid, message: `${what} failed: ${errorMessage(err)}`, at: Date.now() });
    const finish = () => {
      this.pool.release();
      this.markReleased(r);
    };
    const releaseStep = (): Promise<void> | void => {
      let out: unknown;
      try {
        out = m.release?.();
      } catch (err) {
        r.reason ??= `release failed: ${errorMessage(err)}`;
        log("release", err);
      }
      if (out instanceof Promise) {
        return out.then(finish, (err) => {
          r.reason ??= `release failed: ${errorMessage(err)}`;
          log("release", err);
          finish();
        });
      }
      finish();
    };
    const run = (): Promise<void> | void => {
      let collected: unknown;
      try {
        collected = m.collectTraces?.();
      } catch (err) {
        log("collecting traces", err);
      }
      if (collected instanceof Promise) {
        return collected.then(releaseStep, (err) => {
          log("collecting traces", err);
          return releaseStep();
        });
      }
      return releaseStep();
    };
    return this.pool.tryAcquire() ? run() : this.pool.acquire().then(run);
  }

  private markReleased(r: Resource): void {
    r.released = true;
    if (r.state === ResourceState.FAILED) this.waits.notify(r);
    else this.transition(r, ResourceState.RELEASED);
  }

  // ---------------------------------------------------------------- internals: transitions

  private transition(r: Resource, state: ResourceState, reason?: string): void {
    const previous = r.state;
    if (previous === state) return;
    const at = Date.now();
    r.state = state;
    if (reason !== undefined) r.reason = reason;
    const previousMaxRank = r.maxRank;
    const rank = stateRank(state);
    if (rank > r.maxRank) {
      for (let k = r.maxRank + 1; k <= rank; k++) r.reachedAt[k] = at;
      r.maxRank = rank;
    }
    const event: StateEvent = reason !== undefined ? { guid: r.guid, state, previous, at, reason } : { guid: r.guid, state, previous, at };
    this.events.push(event);
    r.history.push(event);
    this.emit("state", event);
    if (r.listeners) for (const l of r.listeners) l(event);
    this.gateWatch.notify(r, previousMaxRank);
    this.waits.notify(r);
    if (state === ResourceState.READY) this.defer(() => this.tryStart(r));
    else if (state === ResourceState.STARTED && r.hasStopGate) this.defer(() => this.tryStop(r));
  }

  /** Runs `fn` after the current work, iteratively: long failure cascades never grow the stack. */
  private defer(fn: () => void): void {
    this.deferred.push(fn);
    if (!this.draining) this.batch(() => {});
  }

  /** Runs `fn`, then whatever it deferred, in order. */
  private batch(fn: () => void): void {
    if (this.draining) return fn();
    this.draining = true;
    try {
      fn();
      for (let i = 0; i < this.deferred.length; i++) this.deferred[i]!();
    } finally {
      this.deferred = [];
      this.draining = false;
    }
  }

  // ---------------------------------------------------------------- internals: waits

  private waitFor(group: Group, what: string, accept: (r: Resource) => boolean, rejectOnExperimentFailure: boolean, options: WaitOptions): Promise<void> {
    const resources = [...new Set(toArray(group))].map((g) => this.resource(g));
    return this.waits.wait(resources, what, accept, {
      rejectOnExperimentFailure,
      experimentFailure: this.state_ === EcState.FAILED ? this.failureReason : undefined,
      timeoutMs: options.timeout === undefined ? undefined : parseTime(options.timeout, "timeout"),
      timeoutText: String(options.timeout),
    });
  }
}
