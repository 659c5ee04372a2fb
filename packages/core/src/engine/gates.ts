import type { AttributeValue } from "../model/catalog-schema.js";
import { ResourceState, stateRank } from "../model/states.js";
import { progressToward } from "./failure-waits.js";
import type { Resource } from "./resource-record.js";
import { after, type Timer } from "./timer.js";
import { TraceWatch, describeTraceCondition, type TraceCondition, type TraceProgress, type TraceSource } from "./trace-gates.js";

/** What a gate lets happen once it opens. */
export type GateAction = "DEPLOY" | "START" | "STOP" | "SET";

/**
 * A wait of some resources (the subjects) on others reaching a state, plus a delay counted from
 * the moment the last of them got there. Registered conditions, the implicit deploy order (an
 * application after its node) and the start-together barrier of a deploy group are all gates.
 */
export interface Gate {
  readonly id: number;
  readonly action: GateAction;
  readonly after: readonly number[];
  readonly state: ResourceState;
  readonly delayMs: number;
  /** Where it came from: a condition the user registered, or the engine's own ordering. */
  readonly kind: "condition" | "deployOrder" | "startTogether";
  /** For SET gates (setWithConditions). */
  readonly set?: { name: string; value: AttributeValue };
  /** A trace-match gate waits for a line of each awaited resource's trace instead of a state. */
  readonly trace?: TraceCondition;
  /** For condition gates: the condition's index (in `attributeConditions` for SET gates). */
  condition?: number;
  readonly subjects: number[];
  /** Subjects that count this gate among the ones they wait for. */
  counted: number[];
  armed: boolean;
  /** Awaited resources not there yet. */
  remaining: number;
  /** When the last awaited resource got there (ms since epoch). */
  lastAt: number;
  opened: boolean;
  /** Set when the gate can never open, with the reason. */
  broken?: string;
  /** A wait on FAILED: the awaited resources counted so far (a resource may fail again after "Retry failed"). */
  seen?: Set<number>;
  timer?: Timer;
  /** Set once its delay runs: when it is over (ms since epoch). */
  firesAt?: number;
}

/** Whether `r` reaching the gate's state is news to it (each awaited resource counts once). */
function newlyReached(gate: Gate, r: Resource, previousMaxRank: number): boolean {
  if (gate.seen) {
    if (gate.seen.has(r.guid)) return false;
    gate.seen.add(r.guid);
    return true;
  }
  return previousMaxRank < stateRank(gate.state);
}

export function describeGate(g: Gate): string {
  const who = g.after.length === 1 ? `guid ${g.after[0]}` : `guids ${g.after.join(", ")}`;
  const delay = g.delayMs > 0 ? ` + ${g.delayMs}ms` : "";
  if (g.kind === "deployOrder") return `DEPLOY after ${who} ${g.state}`;
  if (g.kind === "startTogether") return `START together with ${who}`;
  if (g.action === "SET") return `SET ${g.set?.name} after ${who} ${g.state}${delay}`;
  if (g.trace) return `${g.action} after ${who} ${describeTraceCondition(g.trace)}${delay}`;
  return `${g.action} after ${who} ${g.state}${delay}`;
}

/** What gate watching needs of the controller. */
export interface GateHost {
  resource(guid: number): Resource;
  where(r: Resource): string;
  /** Every awaited resource got there and the delay passed. */
  opened(gate: Gate): void;
  /** The gate can never open (an awaited resource failed or was released first). */
  broken(gate: Gate, cause: string): void;
  /** Where trace-match gates read traces. */
  readonly traces: TraceSource;
  /** Everything awaited is there: the gate's delay runs until `firesAt` (ms since epoch). */
  delaying?(gate: Gate, firesAt: number): void;
}

/**
 * Watches the resources gates wait on. Gates are indexed by the guids they wait on, so a
 * transition visits only the gates waiting on that resource — never a scan of the experiment.
 * Timers exist only for non-zero delays.
 */
export class GateWatch {
  private readonly waitingOn = new Map<number, Gate[]>();
  private readonly timers = new Set<Timer>();
  private nextId = 1;
  private readonly traceWatch: TraceWatch;

  constructor(private readonly host: GateHost) {
    this.traceWatch = new TraceWatch(host.traces, {
      resource: (g) => host.resource(g),
      where: (r) => host.where(r),
      reached: (gate, at) => this.reached(gate, at),
      broken: (gate, cause) => this.break(gate, cause),
    });
  }

  make(
    action: GateAction,
    after: number[],
    state: ResourceState,
    delayMs: number,
    kind: Gate["kind"],
    subjects: number[],
    set?: Gate["set"],
    trace?: TraceCondition,
  ): Gate {
    return {
      id: this.nextId++,
      action,
      after,
      state,
      delayMs,
      kind,
      subjects,
      set,
      trace,
      counted: [],
      armed: false,
      remaining: 0,
      lastAt: 0,
      opened: false,
      ...(state === ResourceState.FAILED ? { seen: new Set<number>() } : {}),
    };
  }

  /** Starts watching what `gate` waits on (the first time a subject of it is deployed). */
  arm(gate: Gate): void {
    if (gate.armed) return;
    gate.armed = true;
    if (gate.trace) {
      gate.remaining = gate.after.length;
      this.traceWatch.arm(gate, gate.trace);
      return;
    }
    for (const g of gate.after) {
      const w = this.host.resource(g);
      const p = progressToward(w, gate.state);
      if (p !== "pending" && p !== "never") {
        gate.lastAt = Math.max(gate.lastAt, p.at);
        gate.seen?.add(g);
      } else if (p === "never") {
        if (gate.kind === "startTogether") continue;
        this.break(gate, this.gone(w));
        return;
      } else {
        gate.remaining++;
        const list = this.waitingOn.get(g);
        if (list) list.push(gate);
        else this.waitingOn.set(g, [gate]);
      }
    }
    if (gate.remaining === 0) this.satisfied(gate);
  }

  /** `r` moved from `previousMaxRank`: visit only the gates waiting on it. */
  notify(r: Resource, previousMaxRank: number): void {
    this.traceWatch.notify(r);
    const list = this.waitingOn.get(r.guid);
    if (!list) return;
    for (const gate of list) {
      if (gate.opened || gate.broken || gate.timer) continue;
      const p = progressToward(r, gate.state);
      if (p === "pending") continue;
      if (p !== "never") {
        if (!newlyReached(gate, r, previousMaxRank)) continue;
        gate.lastAt = Math.max(gate.lastAt, p.at);
        if (--gate.remaining === 0) this.satisfied(gate);
      } else {
        if (gate.kind === "startTogether") {
          // A failed member no longer holds the others back.
          if (--gate.remaining === 0) this.satisfied(gate);
        } else {
          this.break(gate, this.gone(r));
        }
      }
    }
    if (list.every((g) => g.opened || g.broken)) this.waitingOn.delete(r.guid);
  }

  /**
   * Makes a gate wait again from scratch ("Retry failed" re-runs what it waits on): it is no
   * longer broken nor indexed, and counts nobody until its subjects arm it again.
   */
  reset(gate: Gate): void {
    for (const g of gate.after) {
      const list = this.waitingOn.get(g);
      const i = list ? list.indexOf(gate) : -1;
      if (i >= 0) list!.splice(i, 1);
      if (list && list.length === 0) this.waitingOn.delete(g);
    }
    if (gate.timer) {
      gate.timer.cancel();
      this.timers.delete(gate.timer);
      gate.timer = undefined;
    }
    gate.broken = undefined;
    gate.opened = false;
    gate.armed = false;
    gate.remaining = 0;
    gate.lastAt = 0;
    gate.counted = [];
    gate.seen?.clear();
  }

  /** How far the traces a trace-match gate reads have come (empty for other gates). */
  traceProgress(gate: Gate): TraceProgress[] {
    return gate.trace ? this.traceWatch.progress(gate) : [];
  }

  /** No delayed gate opens any more (the experiment failed or was shut down). */
  cancelTimers(): void {
    this.traceWatch.cancel();
    for (const t of this.timers) t.cancel();
    this.timers.clear();
  }

  /** One awaited resource of `gate` got there at `at` (a trace-match gate's trace matched). */
  private reached(gate: Gate, at: number): void {
    if (gate.opened || gate.broken) return;
    gate.lastAt = Math.max(gate.lastAt, at);
    if (--gate.remaining === 0) this.satisfied(gate);
  }

  private gone(r: Resource): string {
    return `${this.host.where(r)} is ${r.state}${r.reason ? ` (${r.reason})` : ""}`;
  }

  /** Every awaited resource got there: open now, or after the delay counted from the last one. */
  private satisfied(gate: Gate): void {
    const wait = gate.delayMs > 0 ? gate.lastAt + gate.delayMs - Date.now() : 0;
    if (wait <= 0) {
      gate.opened = true;
      this.host.opened(gate);
      return;
    }
    // Timers run on a monotonic clock and may fire a millisecond before Date.now() says the
    // delay is over: check again, so a delay is never cut short.
    const rearmed = gate.firesAt !== undefined;
    gate.firesAt = gate.lastAt + gate.delayMs;
    if (!rearmed) this.host.delaying?.(gate, gate.firesAt);
    const timer = after(Math.ceil(wait), () => {
      this.timers.delete(timer);
      gate.timer = undefined;
      this.satisfied(gate);
    });
    gate.timer = timer;
    this.timers.add(timer);
  }

  private break(gate: Gate, cause: string): void {
    gate.broken = cause;
    if (gate.timer) {
      gate.timer.cancel();
      this.timers.delete(gate.timer);
      gate.timer = undefined;
    }
    this.host.broken(gate, cause);
  }
}
