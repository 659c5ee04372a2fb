import { SIM_TASK } from "../catalog/types/sim-task.js";
import { missingLinks } from "../catalog/links.js";
import type { AttributeValue } from "../model/catalog-schema.js";
import { NepiError } from "../model/errors.js";
import type { StateEvent } from "../model/events.js";
import { EcState, ResourceState, isTerminal, stateRank } from "../model/states.js";
import { getResourceManagerFactory } from "../catalog/registry.js";
import { missingRequiredAttributes } from "../catalog/rules.js";
import type { EmitEvent } from "./controller-events.js";
import { DryRunContext, ResourceContextImpl, type ContextHost } from "./context.js";
import { deployDependencies, mayEndByItself } from "./design-rules.js";
import { Explainer, outsideWait, type ExplainHost } from "./explain.js";
import { GateWatch, describeGate, type Gate, type GateAction } from "./gates.js";
import type { OperationPool } from "./pool.js";
import type { DesignRegistry, Group } from "./registry.js";
import {
  BUSY, IDLE, RELEASED, RELEASING, SCHEDULED,
  isReleased, isReleasing, isScheduled, operation,
  type Operation, type Resource,
} from "./resource-record.js";
import { WaitIndex } from "./waits.js";


/** Ranks of the states a resource passes through in order (STOPPED and FINISHED share 5). */
export const MAX_RANK = 5;

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** How a manager step went: done, cut short (a release or the experiment's failure), or failed. */
type StepOutcome = "done" | "cut short" | { error: unknown };

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value instanceof Promise || (!!value && typeof (value as PromiseLike<unknown>).then === "function");
}

/** Calls `k` with the value now when there is no promise to wait for. */
function andThen<T>(value: T | Promise<T>, k: (v: T) => void): void {
  if (value instanceof Promise) void value.then(k);
  else k(value);
}

/** A dry run: resources that would touch a host are run by the `sim::Task` manager instead. */
export interface DryRunOptions {
  /** How long a resource that ends by itself runs (default 100ms). */
  taskDuration?: string;
}

/** What the lifecycle needs from the controller it belongs to. */
export interface LifecycleHost {
  expId(): string;
  runId(): string;
  runDir(): string;
  emit: EmitEvent;
  /** A critical failure: release everything (the controller's own, overridable `release()`). */
  releaseAll(): Promise<void>;
  readonly dryRun?: DryRunOptions;
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
  /** Resources whose manager step waits for a pool slot, and for which operation. */
  private readonly queued = new Map<Resource, Operation>();

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
      delaying: (gate, firesAt) => this.gateEvent(gate, "armed", firesAt),
    });
    this.waits = new WaitIndex({
      resource,
      where,
      explain: (r) => this.explainer().waitingOn(r).map((w) => w.text).join("; "),
    });
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
      members = [...this.design.resources.values()].filter((r) => r.state === ResourceState.NEW && !isScheduled(r));
    } else {
      members = this.design.group(group);
      const done = members.filter((r) => isScheduled(r) || r.state !== ResourceState.NEW);
      if (done.length > 0) {
        throw new NepiError(
          "WRONG_STATE",
          `deploy: ${done.map((r) => `${this.design.where(r)} is already ${isScheduled(r) && r.state === "NEW" ? "deploying" : r.state}`).join("; ")}: only NEW resources can be deployed`,
        );
      }
    }
    // What a member deploys after (its node) is deployed with it, or it would wait forever.
    const inGroup = new Set(members.map((r) => r.guid));
    for (let i = 0; i < members.length; i++) {
      for (const dep of deployDependencies(this.design.view, members[i]!.guid)) {
        const d = this.design.resource(dep.guid);
        if (!inGroup.has(d.guid) && d.state === ResourceState.NEW && !isScheduled(d)) {
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
      problems.push(...missingLinks(this.design.linkView, r.guid));
    }
    if (problems.length > 0) {
      throw new NepiError("BAD_VALUE", `deploy refused:\n  ${problems.join("\n  ")}`);
    }
    for (const r of members) getResourceManagerFactory(this.simulated(r) ? SIM_TASK.rtype : r.info.rtype);
  }

  /** Deploys checked members: managers, deploy-order gates, the start-together barrier. */
  schedule(members: Resource[], together: number[]): void {
    for (const r of members) {
      r.phase = SCHEDULED;
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
    // deploy() only schedules: the work begins once the caller's code has run (listeners attached…,
    // or the deploy of what a member waits on). A wait on what no deploy took in fails at once.
    queueMicrotask(() => this.batch(() => {
      const seen = new Map<Gate, number[]>();
      for (const r of members) {
        const outside = this.state_ === EcState.RUNNING && r.state === ResourceState.NEW ? outsideWait(r, this.explainHost, seen) : undefined;
        if (outside) this.failResource(r, outside);
        else this.tryDeploy(r);
      }
    }));
  }

  /** A registered condition (or setWithConditions) on each of `subjects`. */
  addConditionGate(
    action: GateAction, subjects: number[], after: number[], state: ResourceState, delayMs: number, set?: Gate["set"],
  ): void {
    const gate = this.gateWatch.make(action, after, state, delayMs, "condition", subjects, set);
    // Registered just now: the last of its list in the design.
    gate.condition = (action === "SET" ? this.design.attributeConditions.length : this.design.conditions.length) - 1;
    for (const g of subjects) this.attachGate(this.design.resource(g), gate);
  }

  // ---------------------------------------------------------------- by hand

  /** Starts a READY resource now (conditions are not consulted). */
  start(r: Resource): Promise<void> {
    this.assertRunning("start");
    const starting = operation(r) === "start";
    if (r.state !== ResourceState.READY || starting) {
      throw new NepiError("WRONG_STATE", `start: ${this.design.where(r)} is ${starting ? "already starting" : r.state}: only a READY resource can be started`);
    }
    // Being released: nothing new starts (the step would be cut short at once).
    if (isReleasing(r)) return Promise.resolve();
    return new Promise((resolve) => this.startResource(r, resolve));
  }

  /** Stops a STARTED resource now. */
  stop(r: Resource): Promise<void> {
    this.assertRunning("stop");
    const stopping = operation(r) === "stop";
    if (r.state !== ResourceState.STARTED || stopping) {
      throw new NepiError("WRONG_STATE", `stop: ${this.design.where(r)} is ${stopping ? "already stopping" : r.state}: only a STARTED resource can be stopped`);
    }
    if (isReleasing(r)) return Promise.resolve();
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

  /** Release was asked for: nothing new starts, and an operation in progress is told to stop. */
  releaseAsked(r: Resource): void {
    const p = r.phase;
    if (p.kind !== "releasing" && p.kind !== "released") r.phase = p.kind === "busy" ? { kind: "releasing", finishing: p.op } : RELEASING;
    r.abort?.abort();
  }

  /** Resolves once the operation `r` was doing when its release was asked for has ended. */
  whenIdle(r: Resource): Promise<void> {
    const p = r.phase;
    if (p.kind !== "releasing" || p.finishing === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = p.whenIdle;
      r.phase = { ...p, whenIdle: previous ? () => (previous(), resolve()) : resolve };
    });
  }

  /** The release of `r` has to be waited for: later calls get the same promise. */
  releaseTakes(r: Resource, done: Promise<void>): void {
    if (r.phase.kind === "releasing") r.phase = { ...r.phase, done };
  }

  /** The release of `r` is done: a FAILED resource stays FAILED (its waits hear of it), others are RELEASED. */
  released(r: Resource): void {
    r.phase = RELEASED;
    if (r.state === ResourceState.FAILED) this.waits.notify(r);
    else this.transition(r, ResourceState.RELEASED);
  }

  // ---------------------------------------------------------------- gates

  private attachGate(r: Resource, gate: Gate): void {
    r.gates.push(gate);
    if (gate.action === "STOP") r.hasStopGate = true;
    // Conditions registered on a resource already deployed take effect at once.
    if (isScheduled(r)) this.armGate(r, gate);
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
    this.gateEvent(gate, "opened");
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
    if (isReleasing(r) || isTerminal(r.state)) return;
    const rank = r.maxRank;
    const stillPending =
      gate.action === "DEPLOY" ? r.state === ResourceState.NEW :
      gate.action === "START" ? rank < stateRank("STARTED") :
      gate.action === "STOP" ? rank < MAX_RANK : true;
    if (!stillPending) return;
    const verb = gate.action === "SET" ? `set "${gate.set?.name}"` : gate.action;
    this.defer(() => this.state_ === EcState.RUNNING && this.failResource(r, `cannot ${verb}: it waits for ${describeGate(gate)}, but ${cause}`));
  }

  /** A condition's gate started its delay or opened: the `gate` event (the designer's countdown). */
  private gateEvent(gate: Gate, status: "armed" | "opened", firesAt?: number): void {
    if (gate.kind !== "condition") return;
    const at = Date.now();
    this.host.emit("gate", {
      gate: gate.id, status,
      ...(gate.condition !== undefined ? (gate.action === "SET" ? { attributeCondition: gate.condition } : { condition: gate.condition }) : {}),
      action: gate.action, subjects: [...gate.counted], after: [...gate.after], state: gate.state, delayMs: gate.delayMs,
      at, ...(firesAt !== undefined ? { firesAt } : {}),
    });
  }

  // ---------------------------------------------------------------- explain

  /** What the explanations (explain.ts) read of the engine: one object shared by all. */
  private readonly explainHost: ExplainHost = {
    resource: (guid) => this.design.resource(guid),
    queuedFor: (r) => this.queued.get(r),
    poolBusy: () => this.pool.busy,
    poolQueued: () => this.pool.queued,
    endsByItself: (r) => mayEndByItself(this.design.view, r.guid),
  };

  /** Explains what resources wait for; one explainer looks at each shared gate once. */
  explainer(): Explainer {
    return new Explainer(this.explainHost);
  }

  private applySet(r: Resource, gate: Gate): void {
    if (!gate.set || isReleasing(r) || isTerminal(r.state)) return;
    r.values.set(gate.set.name, gate.set.value);
    void this.attributeChanged(r, gate.set.name);
  }

  // ---------------------------------------------------------------- actions

  private tryAction(r: Resource, action: "DEPLOY" | "START" | "STOP"): void {
    if (action === "DEPLOY") this.tryDeploy(r);
    else if (action === "START") this.tryStart(r);
    else this.tryStop(r);
  }

  private tryDeploy(r: Resource): void {
    if (this.state_ !== EcState.RUNNING || r.phase.kind !== "scheduled" || r.state !== ResourceState.NEW || r.pending.DEPLOY > 0) return;
    this.deployResource(r);
  }

  private tryStart(r: Resource): void {
    if (this.state_ !== EcState.RUNNING || r.phase.kind !== "idle" || r.state !== ResourceState.READY || r.pending.START > 0) return;
    this.startResource(r);
  }

  private tryStop(r: Resource): void {
    if (this.state_ !== EcState.RUNNING || r.phase.kind !== "idle" || !r.hasStopGate || r.state !== ResourceState.STARTED || r.pending.STOP > 0) return;
    this.stopResource(r);
  }

  /** An operation of `r` begins. */
  private begin(r: Resource, op: Operation): void {
    r.phase = BUSY[op];
  }

  /**
   * The operation of `r` ended: it is idle again, or the release that waited for it goes on.
   * Called before the transition the operation makes, so what that transition sets off (a start
   * once READY, a stop once STARTED) finds the resource free.
   */
  private opEnded(r: Resource): void {
    const p = r.phase;
    if (p.kind === "busy") {
      r.phase = IDLE;
    } else if (p.kind === "releasing" && p.finishing !== undefined) {
      r.phase = p.done ? { kind: "releasing", done: p.done } : RELEASING;
      p.whenIdle?.();
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
    const op = operation(r);
    if (op) this.queued.set(r, op);
    return this.pool.acquire().then(() => {
      this.queued.delete(r);
      return this.runStep(r, name, fn);
    });
  }

  private runStep(r: Resource, name: string, fn: () => unknown): boolean | Promise<boolean> {
    const outcome = this.callManager(r, fn);
    if (outcome instanceof Promise) return outcome.then((o) => this.stepEnded(r, name, o));
    return this.stepEnded(r, name, outcome);
  }

  private callManager(r: Resource, fn: () => unknown): StepOutcome | Promise<StepOutcome> {
    if (!this.stillGoing(r)) return "cut short";
    let result: unknown;
    try {
      result = fn.call(r.manager);
    } catch (error) {
      return { error };
    }
    if (isThenable(result)) return Promise.resolve(result).then((): StepOutcome => "done", (error: unknown): StepOutcome => ({ error }));
    return "done";
  }

  /** The one place a step gives its pool slot back; then whether it succeeded. */
  private stepEnded(r: Resource, name: string, outcome: StepOutcome): boolean {
    this.pool.release();
    if (outcome === "done") return true;
    // An operation cut short by a release or by the experiment's failure is not a failure of its own.
    if (outcome !== "cut short" && this.stillGoing(r)) this.failResource(r, `${name} failed: ${errorMessage(outcome.error)}`);
    return false;
  }

  private stillGoing(r: Resource): boolean {
    return !isReleasing(r) && !isTerminal(r.state) && this.state_ === EcState.RUNNING;
  }

  /**
   * The lifecycle steps are written as continuations rather than async functions: a step that
   * completes synchronously goes straight on, so a sim::Task costs no promise at all.
   */
  private deployResource(r: Resource): void {
    this.begin(r, "deploy");
    andThen(this.step(r, "discover"), (ok) => {
      if (!ok || !this.stillGoing(r)) return this.opEnded(r);
      this.transition(r, ResourceState.DISCOVERED);
      andThen(this.step(r, "provision"), (ok2) => {
        const ready = ok2 && this.stillGoing(r);
        this.opEnded(r);
        if (ready) {
          this.transition(r, ResourceState.PROVISIONED);
          this.transition(r, ResourceState.READY);
        }
      });
    });
  }

  private startResource(r: Resource, onDone?: () => void): void {
    this.begin(r, "start");
    andThen(this.step(r, "start"), (ok) => {
      const p = r.phase;
      const early = p.kind === "busy" ? p.endedEarly : undefined;
      const started = ok && this.stillGoing(r);
      this.opEnded(r);
      if (started) this.transition(r, ResourceState.STARTED);
      if (early) this.resourceEnded(r, early.reason);
      onDone?.();
    });
  }

  private stopResource(r: Resource, onDone?: () => void): void {
    this.begin(r, "stop");
    andThen(this.step(r, "stop"), (ok) => {
      const stopped = ok && r.state === ResourceState.STARTED && !isReleasing(r);
      this.opEnded(r);
      if (stopped) this.transition(r, ResourceState.STOPPED);
      onDone?.();
    });
  }

  /** The manager reports that a running resource ended by itself (reason: it failed). */
  private resourceEnded(r: Resource, failure?: string): void {
    if (r.phase.kind === "busy" && r.phase.op === "start") {
      // Kept for when `start` returns: the resource is STARTED first, then ends.
      r.phase = { kind: "busy", op: "start", endedEarly: { reason: failure } };
      return;
    }
    if (r.state !== ResourceState.STARTED) return;
    if (failure !== undefined) this.failResource(r, failure);
    else this.transition(r, ResourceState.FINISHED);
  }

  private failResource(r: Resource, reason: string): void {
    if (r.state === ResourceState.FAILED || r.state === ResourceState.RELEASED || isReleased(r)) return;
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
    if (!this.simulated(r)) {
      r.manager = getResourceManagerFactory(r.info.rtype)(new ResourceContextImpl(this.contextHost, r));
      return;
    }
    const duration = mayEndByItself(this.design.view, r.guid) ? (this.host.dryRun?.taskDuration ?? "100ms") : undefined;
    r.manager = getResourceManagerFactory(SIM_TASK.rtype)(new DryRunContext(this.contextHost, r, duration));
  }

  /** In a dry run, everything but the simulated types themselves runs as a `sim::Task`. */
  private simulated(r: Resource): boolean {
    return this.host.dryRun !== undefined && r.info.backend !== "sim";
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
