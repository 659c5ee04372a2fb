import type { AttributeValue } from "../model/catalog-schema.js";
import { isTerminal, stateRank, type ResourceState } from "../model/states.js";
import { isReleased, type Resource } from "./resource-record.js";
import { after, type Timer } from "./timer.js";

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
  timer?: Timer;
  /** Set once its delay runs: when it is over (ms since epoch). */
  firesAt?: number;
}

export function describeGate(g: Gate): string {
  const who = g.after.length === 1 ? `guid ${g.after[0]}` : `guids ${g.after.join(", ")}`;
  const delay = g.delayMs > 0 ? ` + ${g.delayMs}ms` : "";
  if (g.kind === "deployOrder") return `DEPLOY after ${who} ${g.state}`;
  if (g.kind === "startTogether") return `START together with ${who}`;
  if (g.action === "SET") return `SET ${g.set?.name} after ${who} ${g.state}${delay}`;
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

  constructor(private readonly host: GateHost) {}

  make(
    action: GateAction, after: number[], state: ResourceState, delayMs: number,
    kind: Gate["kind"], subjects: number[], set?: Gate["set"],
  ): Gate {
    return {
      id: this.nextId++, action, after, state, delayMs, kind, subjects, set,
      counted: [], armed: false, remaining: 0, lastAt: 0, opened: false,
    };
  }

  /** Starts watching what `gate` waits on (the first time a subject of it is deployed). */
  arm(gate: Gate): void {
    if (gate.armed) return;
    gate.armed = true;
    const target = stateRank(gate.state);
    for (const g of gate.after) {
      const w = this.host.resource(g);
      if (w.maxRank >= target) {
        gate.lastAt = Math.max(gate.lastAt, w.reachedAt[target]!);
      } else if (isTerminal(w.state) || isReleased(w)) {
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
    const list = this.waitingOn.get(r.guid);
    if (!list) return;
    for (const gate of list) {
      if (gate.opened || gate.broken || gate.timer) continue;
      const target = stateRank(gate.state);
      if (previousMaxRank < target && r.maxRank >= target) {
        gate.lastAt = Math.max(gate.lastAt, r.reachedAt[target]!);
        if (--gate.remaining === 0) this.satisfied(gate);
      } else if (r.maxRank < target && (isTerminal(r.state) || isReleased(r))) {
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

  /** No delayed gate opens any more (the experiment failed or was shut down). */
  cancelTimers(): void {
    for (const t of this.timers) t.cancel();
    this.timers.clear();
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
