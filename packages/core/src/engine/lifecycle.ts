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
  BUSY,
  IDLE,
  REDEPLOY_RELEASING,
  REDEPLOYING,
  REGISTERED,
  RELEASED,
  RELEASING,
  SCHEDULED,
  comesBack,
  isReleased,
  isReleasing,
  isScheduled,
  operation,
  type Operation,
  type Resource,
} from "./resource-record.js";
import type { TraceCondition } from "./trace-gates.js";
import { WaitIndex } from "./waits.js";
import { dropsWhenBroken, isFailureStop } from "./failure-waits.js";
import { Retries, retryReason, type RetryFrom } from "./retries.js";

/** Ranks of the states a resource passes through in order (STOPPED and FINISHED share 5). */
export const MAX_RANK = 5;
const READY_RANK = stateRank(ResourceState.READY);

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
  private readonly retries: Retries;
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
      traces: {
        follow: (r, name, onChunk) => {
          if (!r.manager?.followTrace) throw new Error("its manager does not follow traces");
          return r.manager.followTrace(name, 0, (chunk) => onChunk(chunk));
        },
        read: async (r, name) => String((await r.manager?.trace?.(name, {})) ?? ""),
        assumesMatch: (r) => this.simulated(r),
      },
      delaying: (gate, firesAt) => this.gateEvent(gate, "armed", firesAt),
    });
    this.waits = new WaitIndex({
      resource,
      where,
      explain: (r) =>
        this.explainer()
          .waitingOn(r)
          .map((w) => w.text)
          .join("; "),
    });
    this.retries = new Retries((r, name) => design.attributeValue(r, name));
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
      // A guid given twice is deployed once.
      members = [...new Set(this.design.group(group))];
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

  /**
   * Deploys checked members: managers, deploy-order gates, the start-together barrier. `again`:
   * a redeploy, whose attribute conditions (SET gates) already count the resource.
   */
  schedule(members: Resource[], together: number[], again = false): void {
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
    for (const r of members) this.armGates(r, again);
    // deploy() only schedules: the work begins once the caller's code has run (listeners attached…,
    // or the deploy of what a member waits on). A wait on what no deploy took in fails at once.
    queueMicrotask(() =>
      this.batch(() => {
        const seen = new Map<Gate, number[]>();
        for (const r of members) {
          const still = this.state_ === EcState.RUNNING && r.state === ResourceState.NEW && r.phase.kind === "scheduled";
          const outside = still ? outsideWait(r, this.explainHost, seen) : undefined;
          if (outside) this.failResource(r, outside);
          else this.tryDeploy(r);
        }
      }),
    );
  }

  /**
   * A condition on a trace of `after` matching: it opens on the match (which comes once they
   * started); a state beyond STARTED (FINISHED) is waited for by a gate of its own as well.
   */
  addTraceConditionGate(
    action: GateAction,
    subjects: number[],
    after: number[],
    state: ResourceState,
    delayMs: number,
    trace: TraceCondition,
  ): void {
    if (stateRank(state) > stateRank(ResourceState.STARTED)) this.addConditionGate(action, subjects, after, state, delayMs);
    const gate = this.gateWatch.make(action, after, ResourceState.STARTED, delayMs, "condition", subjects, undefined, trace);
    gate.condition = this.design.conditions.length - 1;
    for (const g of subjects) this.attachGate(this.design.resource(g), gate);
  }

  // ---------------------------------------------------------------- redeploy

  /**
   * What `redeploy(r)` takes: `r` and, transitively, the deployed resources that run on it
   * (its applications), which are released before it and deployed again after it.
   */
  membersToRedeploy(r: Resource): Resource[] {
    const where = this.design.where(r);
    if (!isScheduled(r)) {
      throw new NepiError("WRONG_STATE", `redeploy: ${where} is not deployed: deploy it instead`, "guid");
    }
    const p = r.phase.kind;
    if (p === "releasing" || p === "redeploying") {
      throw new NepiError("WRONG_STATE", `redeploy: ${where} is being ${comesBack(r) ? "redeployed" : "released"}`, "guid");
    }
    const members = [r];
    const taken = new Set([r.guid]);
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!;
      for (const g of m.connections) {
        const d = this.design.resource(g);
        if (taken.has(g) || !isScheduled(d) || isReleasing(d)) continue;
        if (!deployDependencies(this.design.view, g).some((x) => x.guid === m.guid)) continue;
        taken.add(g);
        members.push(d);
      }
    }
    return members;
  }

  /** A resource already released (by `release(guid)`) is redeployed without a second release. */
  markRedeploying(r: Resource): void {
    if (r.phase.kind === "released") r.phase = REDEPLOYING;
  }

  /**
   * The redeploy's release is done: each member goes back to NEW, with its conditions counted
   * afresh (it waits again for what it waited on), and is scheduled like a first deploy.
   */
  redeploy(members: Resource[], together: number[]): void {
    for (const r of members) {
      r.maxRank = 0;
      r.reachedAt.fill(-1, 1);
      r.reason = undefined;
      r.abort = undefined;
      r.pending.DEPLOY = r.pending.START = r.pending.STOP = 0;
      r.gates = this.freshGates(r);
      r.phase = REGISTERED;
      this.transition(r, ResourceState.NEW);
    }
    this.schedule(members, together, true);
  }

  /** The redeploy could not go on (released or failed meanwhile): its members are released for good. */
  redeployCancelled(members: Resource[]): void {
    for (const r of members) {
      if (r.phase.kind !== "redeploying") continue;
      r.phase = RELEASED;
      this.gateWatch.notify(r, r.maxRank);
      this.waits.notify(r);
    }
  }

  /**
   * The gates of `r` for its next deploy: each condition afresh for `r` alone (its old gate may
   * be shared and already open), attribute conditions as they are; the deploy order and the
   * start-together barrier are made again by `schedule`.
   */
  private freshGates(r: Resource): Gate[] {
    const gates: Gate[] = [];
    for (const gate of r.gates) {
      if (gate.action === "SET") {
        gates.push(gate);
        continue;
      }
      const i = gate.counted.indexOf(r.guid);
      if (i >= 0 && !gate.opened) gate.counted.splice(i, 1);
      if (gate.kind === "condition") {
        const fresh = this.gateWatch.make(
          gate.action,
          [...gate.after],
          gate.state,
          gate.delayMs,
          "condition",
          [r.guid],
          undefined,
          gate.trace,
        );
        fresh.condition = gate.condition;
        gates.push(fresh);
      }
    }
    return gates;
  }

  /** A registered condition (or setWithConditions) on each of `subjects`. */
  addConditionGate(
    action: GateAction,
    subjects: number[],
    after: number[],
    state: ResourceState,
    delayMs: number,
    set?: Gate["set"],
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
      throw new NepiError(
        "WRONG_STATE",
        `start: ${this.design.where(r)} is ${starting ? "already starting" : r.state}: only a READY resource can be started`,
      );
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
      throw new NepiError(
        "WRONG_STATE",
        `stop: ${this.design.where(r)} is ${stopping ? "already stopping" : r.state}: only a STARTED resource can be stopped`,
      );
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

  // ---------------------------------------------------------------- retry failed

  /**
   * "Retry failed": every FAILED resource runs again from where it stopped — one that was
   * deployed starts again, one that was not deploys again — with its conditions waiting anew and
   * a new round of `retries`. What did not fail is not touched (nothing fine is redeployed); what
   * failed because of a failed resource failed too, and runs again with it. Returns their guids.
   */
  retryFailed(): number[] {
    this.assertRunning("retryFailed");
    const failed = [...this.design.resources.values()].filter(
      (r) => r.state === ResourceState.FAILED && isScheduled(r) && (r.phase.kind === "idle" || r.phase.kind === "scheduled"),
    );
    if (failed.length === 0) return [];
    this.batch(() => {
      // Gates that broke wait again from scratch, on resources rewound first.
      for (const r of failed) for (const gate of r.gates) if (gate.broken !== undefined) this.gateWatch.reset(gate);
      for (const r of failed) this.rewind(r);
      for (const r of failed) {
        const deployed = r.state === ResourceState.READY;
        for (const gate of r.gates) {
          // The group already started together; a deployed resource is not deployed again.
          if (gate.kind === "startTogether" || (deployed && gate.action === "DEPLOY")) continue;
          gate.counted = gate.counted.filter((g) => g !== r.guid);
          this.armGate(r, gate);
        }
        r.hasStopGate = r.gates.some((g) => g.action === "STOP" && !isFailureStop(g));
        this.defer(() => this.tryAction(r, deployed ? "START" : "DEPLOY"));
      }
    });
    return failed.map((r) => r.guid);
  }

  /** A FAILED resource back to READY (it was deployed) or NEW, for its next attempt. */
  private rewind(r: Resource): void {
    const deployed = r.maxRank >= READY_RANK;
    const rank = deployed ? READY_RANK : 0;
    for (let k = rank + 1; k < r.reachedAt.length; k++) r.reachedAt[k] = -1;
    r.maxRank = rank;
    r.pending.DEPLOY = r.pending.START = r.pending.STOP = 0;
    r.reason = undefined;
    // Its failure aborted the old signal: the next attempt gets a fresh one when it asks.
    r.abort = undefined;
    this.retries.newRound(r);
    r.attempt++;
    r.phase = deployed ? IDLE : SCHEDULED;
    this.transition(r, deployed ? ResourceState.READY : ResourceState.NEW, `retry failed: attempt ${r.attempt}`, true);
  }

  // ---------------------------------------------------------------- end

  /** Shut down: no delayed gate opens any more, and the experiment is TERMINATED (unless it failed). */
  terminate(): void {
    this.gateWatch.cancelTimers();
    this.retries.cancel();
    if (this.state_ === EcState.RUNNING) this.setEcState(EcState.TERMINATED);
  }

  /**
   * Release was asked for: nothing new starts, and an operation in progress is told to stop.
   * `redeploy`: it comes back afterwards. A plain release of one waiting to come back ends it.
   */
  releaseAsked(r: Resource, redeploy = false): void {
    const p = r.phase;
    if (p.kind === "redeploying") {
      if (!redeploy) this.redeployCancelled([r]);
    } else if (p.kind === "releasing" && p.redeploy && !redeploy) {
      // Released for good now: it does not come back.
      const { redeploy: _cancelled, ...plain } = p;
      r.phase = plain;
    } else if (p.kind !== "releasing" && p.kind !== "released") {
      if (p.kind === "busy")
        r.phase = redeploy ? { kind: "releasing", finishing: p.op, redeploy } : { kind: "releasing", finishing: p.op };
      else r.phase = redeploy ? REDEPLOY_RELEASING : RELEASING;
    }
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

  /**
   * The release of `r` is done: a FAILED resource stays FAILED and one never deployed stays NEW
   * (their waits hear of it), others are RELEASED.
   */
  released(r: Resource): void {
    // Never deployed (a partial deploy left it out): it held nothing and stays NEW.
    const untouched = r.manager === undefined && r.state === ResourceState.NEW;
    r.phase = comesBack(r) ? REDEPLOYING : RELEASED;
    if (untouched) {
      this.gateWatch.notify(r, r.maxRank);
      this.waits.notify(r);
    } else if (r.state === ResourceState.FAILED) this.waits.notify(r);
    else this.transition(r, ResourceState.RELEASED);
  }

  // ---------------------------------------------------------------- gates

  private attachGate(r: Resource, gate: Gate): void {
    r.gates.push(gate);
    if (gate.action === "STOP" && !isFailureStop(gate)) r.hasStopGate = true;
    // Conditions registered on a resource already deployed take effect at once.
    if (isScheduled(r)) this.armGate(r, gate);
  }

  /** Called when `r` is deployed: each of its gates starts counting for it (`again`: but its SET gates). */
  private armGates(r: Resource, again: boolean): void {
    for (const gate of r.gates) if (!again || gate.action !== "SET") this.armGate(r, gate);
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
    // A STOP on a failure is not one more wait of the STOP: it stops the subject on its own.
    if (gate.action !== "SET" && !isFailureStop(gate)) r.pending[gate.action]++;
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
      if (isFailureStop(gate)) {
        this.stopOnFailure(r);
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
    if (dropsWhenBroken(gate)) return this.dropGate(r, gate, cause);
    const rank = r.maxRank;
    const stillPending =
      gate.action === "DEPLOY"
        ? r.state === ResourceState.NEW
        : gate.action === "START"
          ? rank < stateRank("STARTED")
          : gate.action === "STOP"
            ? rank < MAX_RANK
            : true;
    if (!stillPending) return;
    const verb = gate.action === "SET" ? `set "${gate.set?.name}"` : gate.action;
    this.defer(
      () =>
        this.state_ === EcState.RUNNING &&
        this.failResource(r, `cannot ${verb}: it waits for ${describeGate(gate)}, but ${cause}`),
    );
  }

  /** A STOP or SET planned for a failure that did not happen: `r` carries on without it. */
  private dropGate(r: Resource, gate: Gate, cause: string): void {
    this.host.emit("log", { guid: r.guid, message: `${describeGate(gate)} dropped: ${cause}`, at: Date.now() });
  }

  /**
   * A failure it was told to stop on happened: `r` stops now (or as soon as it has started),
   * whatever its other STOP conditions still wait for.
   */
  private stopOnFailure(r: Resource): void {
    r.hasStopGate = true;
    r.pending.STOP = 0;
    this.defer(() => this.tryStop(r));
  }

  /** A condition's gate started its delay or opened: the `gate` event (the designer's countdown). */
  private gateEvent(gate: Gate, status: "armed" | "opened", firesAt?: number): void {
    if (gate.kind !== "condition") return;
    const at = Date.now();
    this.host.emit("gate", {
      gate: gate.id,
      status,
      ...(gate.condition !== undefined
        ? gate.action === "SET"
          ? { attributeCondition: gate.condition }
          : { condition: gate.condition }
        : {}),
      action: gate.action,
      subjects: [...gate.counted],
      after: [...gate.after],
      state: gate.state,
      delayMs: gate.delayMs,
      at,
      ...(firesAt !== undefined ? { firesAt } : {}),
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
    traceProgress: (gate) => this.gateWatch.traceProgress(gate),
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
    if (this.state_ !== EcState.RUNNING || r.phase.kind !== "scheduled" || r.state !== ResourceState.NEW || r.pending.DEPLOY > 0)
      return;
    this.deployResource(r);
  }

  private tryStart(r: Resource): void {
    if (this.state_ !== EcState.RUNNING || r.phase.kind !== "idle" || r.state !== ResourceState.READY || r.pending.START > 0)
      return;
    this.startResource(r);
  }

  private tryStop(r: Resource): void {
    if (
      this.state_ !== EcState.RUNNING ||
      r.phase.kind !== "idle" ||
      !r.hasStopGate ||
      r.state !== ResourceState.STARTED ||
      r.pending.STOP > 0
    )
      return;
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
      r.phase = p.done
        ? { kind: "releasing", done: p.done, ...(p.redeploy ? { redeploy: p.redeploy } : {}) }
        : p.redeploy
          ? REDEPLOY_RELEASING
          : RELEASING;
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
    if (isThenable(result))
      return Promise.resolve(result).then(
        (): StepOutcome => "done",
        (error: unknown): StepOutcome => ({ error }),
      );
    return "done";
  }

  /** The one place a step gives its pool slot back; then whether it succeeded. */
  private stepEnded(r: Resource, name: string, outcome: StepOutcome): boolean {
    this.pool.release();
    if (outcome === "done") return true;
    // An operation cut short by a release or by the experiment's failure is not a failure of its own.
    if (outcome !== "cut short" && this.stillGoing(r)) {
      this.failOrRetry(
        r,
        `${name} failed: ${errorMessage(outcome.error)}`,
        name === "stop" ? undefined : name === "start" ? "start" : "deploy",
      );
    }
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
    if (failure !== undefined) this.failOrRetry(r, failure, "start");
    else this.transition(r, ResourceState.FINISHED);
  }

  /**
   * A deploy, start or run of `r` failed: another attempt when its `retries` allow one (after
   * `retryDelay`; each attempt is in the timeline), else FAILED.
   */
  private failOrRetry(r: Resource, reason: string, from: RetryFrom | undefined): void {
    const next = from !== undefined && this.stillGoing(r) ? this.retries.next(r) : undefined;
    if (!next) {
      const tried = from !== undefined && r.attempt > 1 ? ` (attempt ${r.attempt} of ${this.retries.lastAttempt(r)})` : "";
      return this.failResource(r, reason + tried);
    }
    const failed = r.attempt;
    r.attempt = next.attempt;
    // Held back like a gate until the pause is over: a READY resource would otherwise start at once.
    const action = from === "deploy" ? "DEPLOY" : "START";
    r.pending[action]++;
    this.transition(r, from === "deploy" ? ResourceState.NEW : ResourceState.READY, retryReason(failed, next, reason), true);
    this.retries.later(next.delayMs, () => {
      r.pending[action]--;
      if (!this.stillGoing(r)) return;
      if (from === "deploy" && r.phase.kind === "idle") r.phase = SCHEDULED;
      this.batch(() => this.tryAction(r, action));
    });
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
    this.retries.cancel();
    this.setEcState(EcState.FAILED, reason);
    this.waits.experimentFailed(reason);
    this.host
      .releaseAll()
      .catch((err) => this.host.emit("log", { message: `release after failure: ${errorMessage(err)}`, at: Date.now() }));
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
    outsidePool: (work) => this.outsidePool(work),
  };

  /** A step's wait for work it shares with others (a machine's batched build): its slot serves another step meanwhile. */
  private async outsidePool<T>(work: Promise<T>): Promise<T> {
    this.pool.release();
    try {
      return await work;
    } finally {
      await this.pool.acquire();
    }
  }

  // ---------------------------------------------------------------- transitions

  /** `r` moves to `state`; `again`: recorded even when it stays in it (a new attempt from there). */
  private transition(r: Resource, state: ResourceState, reason?: string, again = false): void {
    const previous = r.state;
    if (previous === state && !again) return;
    const at = Date.now();
    r.state = state;
    // A new attempt's reason is the timeline's, not a failure of the resource.
    if (reason !== undefined && !again) r.reason = reason;
    const previousMaxRank = r.maxRank;
    const rank = stateRank(state);
    if (rank > r.maxRank) {
      for (let k = r.maxRank + 1; k <= rank; k++) r.reachedAt[k] = at;
      r.maxRank = rank;
    }
    const event: StateEvent =
      reason !== undefined ? { guid: r.guid, state, previous, at, reason } : { guid: r.guid, state, previous, at };
    if (r.attempt > 1) event.attempt = r.attempt;
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
