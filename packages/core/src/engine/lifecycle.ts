import type { AttributeValue } from "../model/catalog-schema.js";
import { NepiError } from "../model/errors.js";
import type { StateEvent } from "../model/events.js";
import { EcState, ResourceState, isTerminal, stateRank } from "../model/states.js";
import { getResourceManagerFactory } from "../catalog/registry.js";
import { missingRequiredAttributes } from "../catalog/rules.js";
import type { EmitEvent } from "./controller-events.js";
import { ResourceContextImpl, type ContextHost } from "./context.js";
import { deployDependencies } from "./design-rules.js";
import { GateWatch, describeGate, type Gate, type GateAction } from "./gates.js";
import type { OperationPool } from "./pool.js";
import type { DesignRegistry, Group } from "./registry.js";
import type { Resource } from "./resource-record.js";
import { WaitIndex } from "./waits.js";

/** Ranks of the states a resource passes through in order (STOPPED and FINISHED share 5). */
export const MAX_RANK = 5;

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Calls `k` with the value now when there is no promise to wait for. */
function andThen<T>(value: T | Promise<T>, k: (v: T) => void): void {
  if (value instanceof Promise) void value.then(k);
  else k(value);
}

/** What the lifecycle needs from the controller it belongs to. */
export interface LifecycleHost {
  expId(): string;
  runId(): string;
  runDir(): string;
  emit: EmitEvent;
  /** A critical failure: release everything (the controller's own, overridable `release()`). */
  releaseAll(): Promise<void>;
}

/**
 * Walks resources through their lifecycle: deploy, start and stop steps run in the operation
 * pool once their gates open, transitions wake exactly the gates and waits indexed on the
 * resource, and failures cascade to what waits on them. Everything is driven by events.
 */
export class Lifecycle {
  readonly events: StateEvent[] = [];
  readonly waits: WaitIndex;
  private readonly gateWatch: GateWatch;
  private state_: EcState = EcState.RUNNING;
  private failureReason?: string;
  /** Work deferred to avoid deep recursion when failures cascade along long chains. */
  private deferred: Array<() => void> = [];
  private draining = false;

  constructor(
    private readonly design: DesignRegistry,
    private readonly pool: OperationPool,
    private readonly host: LifecycleHost,
  ) {
    const where = (r: Resource) => design.where(r);
    const resource = (g: number) => design.resource(g);
    this.gateWatch = new GateWatch({
      resource,
      where,
      opened: (gate) => this.openGate(gate),
      broken: (gate, cause) => this.breakGate(gate, cause),
    });
    this.waits = new WaitIndex({ resource, where });
  }

  get ecState(): EcState {
    return this.state_;
  }

  get failure(): string | undefined {
    return this.failureReason;
  }

  assertRunning(what: string): void {
    if (this.state_ === EcState.FAILED) {
      throw new NepiError("EXPERIMENT_FAILED", `${what}: the experiment has failed (${this.failureReason})`);
    }
    if (this.state_ === EcState.TERMINATED) {
      throw new NepiError("WRONG_STATE", `${what}: the experiment controller was shut down`);
    }
  }

  // ---------------------------------------------------------------- deploy

  /** The resources `deploy(group)` takes: the group (every NEW one by default) and what they deploy after. */
  membersToDeploy(group: Group | undefined): Resource[] {
    let members: Resource[];
    if (group === undefined) {
      members = [...this.design.resources.values()].filter((r) => r.state === ResourceState.NEW && !r.scheduled);
    } else {
      members = this.design.group(group);
      const done = members.filter((r) => r.scheduled || r.state !== ResourceState.NEW);
      if (done.length > 0) {
        throw new NepiError(
          "WRONG_STATE",
          `deploy: ${done.map((r) => `${this.design.where(r)} is already ${r.scheduled && r.state === "NEW" ? "deploying" : r.state}`).join("; ")}: only NEW resources can be deployed`,
        );
      }
    }
    // What a member deploys after (its node) is deployed with it, or it would wait forever.
    const inGroup = new Set(members.map((r) => r.guid));
    for (let i = 0; i < members.length; i++) {
      for (const dep of deployDependencies(this.design.view, members[i]!.guid)) {
        const d = this.design.resource(dep.guid);
        if (!inGroup.has(d.guid) && d.state === ResourceState.NEW && !d.scheduled) {
          inGroup.add(d.guid);
          members.push(d);
        }
      }
    }
    return members;
  }

  /** Refuses a deploy of resources that lack a required attribute, a connection or a manager. */
  refuseUndeployable(members: Resource[]): void {
    const problems: string[] = [];
    for (const r of members) {
      for (const name of missingRequiredAttributes(r.info, (n) => this.design.attributeValue(r, n))) {
        problems.push(`${this.design.where(r)}: attribute "${name}" is required`);
      }
      for (const rule of r.info.connections) {
        const count = r.connections.filter((g) => this.design.resource(g).info.rtype === rule.rtype).length;
        if (count < rule.min) problems.push(`${this.design.where(r)}: needs ${rule.min === 1 ? "a" : rule.min} ${rule.rtype} connection${rule.min === 1 ? "" : "s"} (has ${count})`);
      }
    }
    if (problems.length > 0) {
      throw new NepiError("BAD_VALUE", `deploy refused:\n  ${problems.join("\n  ")}`);
    }
    for (const r of members) getResourceManagerFactory(r.info.rtype);
  }

  /** Deploys checked members: managers, deploy-order gates, the start-together barrier. */
  schedule(members: Resource[], together: number[]): void {
    for (const r of members) {
      r.scheduled = true;
      this.createManager(r);
      for (const dep of deployDependencies(this.design.view, r.guid)) {
        this.attachGate(r, this.gateWatch.make("DEPLOY", [dep.guid], dep.state, 0, "deployOrder", [r.guid]));
      }
    }
    if (together.length > 1) {
      const barrier = this.gateWatch.make("START", together, ResourceState.READY, 0, "startTogether", together);
      for (const g of together) this.design.resource(g).gates.push(barrier);
    }
    for (const r of members) this.armGates(r);
    // deploy() only schedules: the work begins once the caller's code has run (listeners attached…).
    queueMicrotask(() => this.batch(() => {
      for (const r of members) this.tryDeploy(r);
    }));
  }

  /** A registered condition (or setWithConditions) on each of `subjects`. */
  addConditionGate(
    action: GateAction, subjects: number[], after: number[], state: ResourceState, delayMs: number, set?: Gate["set"],
  ): void {
    const gate = this.gateWatch.make(action, after, state, delayMs, "condition", subjects, set);
    for (const g of subjects) this.attachGate(this.design.resource(g), gate);
  }

  // ---------------------------------------------------------------- by hand

  /** Starts a READY resource now (conditions are not consulted). */
  start(r: Resource): Promise<void> {
    this.assertRunning("start");
    if (r.state !== ResourceState.READY || r.busy.start) {
      throw new NepiError("WRONG_STATE", `start: ${this.design.where(r)} is ${r.busy.start ? "already starting" : r.state}: only a READY resource can be started`);
    }
    return new Promise((resolve) => this.startResource(r, resolve));
  }

  /** Stops a STARTED resource now. */
  stop(r: Resource): Promise<void> {
    this.assertRunning("stop");
    if (r.state !== ResourceState.STARTED || r.busy.stop) {
      throw new NepiError("WRONG_STATE", `stop: ${this.design.where(r)} is ${r.busy.stop ? "already stopping" : r.state}: only a STARTED resource can be stopped`);
    }
    return new Promise((resolve) => this.stopResource(r, resolve));
  }

  /** Tells the manager of a deployed resource that an attribute changed; its failure fails the resource. */
  async attributeChanged(r: Resource, name: string): Promise<void> {
    const value = this.design.attributeValue(r, name);
    if (value === undefined || !r.manager?.onAttributeChanged) return;
    try {
      await r.manager.onAttributeChanged(name, value);
    } catch (err) {
      this.failResource(r, `setting "${name}" failed: ${errorMessage(err)}`);
    }
  }

  // ---------------------------------------------------------------- end

  /** Shut down: no delayed gate opens any more, and the experiment is TERMINATED (unless it failed). */
  terminate(): void {
    this.gateWatch.cancelTimers();
    if (this.state_ === EcState.RUNNING) this.setEcState(EcState.TERMINATED);
  }

  /** Resolves once no operation of `r` is in progress. */
  whenIdle(r: Resource): Promise<void> {
    if (r.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = r.idle;
      r.idle = previous ? () => (previous(), resolve()) : resolve;
    });
  }

  /** The release of `r` is done: a FAILED resource stays FAILED (its waits hear of it), others are RELEASED. */
  released(r: Resource): void {
    r.released = true;
    if (r.state === ResourceState.FAILED) this.waits.notify(r);
    else this.transition(r, ResourceState.RELEASED);
  }

  // ---------------------------------------------------------------- gates

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
      const r = this.design.resource(g);
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
    for (const g of gate.counted) this.breakFor(this.design.resource(g), gate, cause);
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

  // ---------------------------------------------------------------- actions

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
      if (this.design.attributeValue(r, "critical") !== false) {
        this.failExperiment(`${this.design.where(r)} failed: ${reason}`);
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
    this.host.releaseAll().catch((err) => this.host.emit("log", { message: `release after failure: ${errorMessage(err)}`, at: Date.now() }));
  }

  private setEcState(state: EcState, reason?: string): void {
    this.state_ = state;
    this.host.emit("experiment", { state, ...(reason !== undefined ? { reason } : {}), at: Date.now() });
  }

  private createManager(r: Resource): void {
    r.manager = getResourceManagerFactory(r.info.rtype)(new ResourceContextImpl(this.contextHost, r));
  }

  /** What resource contexts may reach of the controller: one object shared by all of them. */
  private readonly contextHost: ContextHost = {
    expId: () => this.host.expId(),
    runId: () => this.host.runId(),
    runDir: () => this.host.runDir(),
    resource: (guid) => this.design.resource(guid),
    attribute: (r, name): AttributeValue | undefined => this.design.attributeValue(r, name),
    ended: (r, failure) => this.resourceEnded(r, failure),
    log: (guid, message) => this.host.emit("log", { guid, message, at: Date.now() }),
  };

  // ---------------------------------------------------------------- transitions

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
    this.host.emit("state", event);
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
}
