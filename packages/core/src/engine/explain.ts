import { isTerminal, stateRank, ResourceState } from "../model/states.js";
import type { Awaited, WaitReason } from "../model/waiting.js";
import { showPattern } from "../model/pattern.js";
import type { Gate } from "./gates.js";
import type { TraceProgress } from "./trace-gates.js";
import { isReleasing, isScheduled, type Operation, type Resource } from "./resource-record.js";

/**
 * What a resource waits for before its next state, in words and as data, read off the gates it
 * is a subject of (gates.ts), the operation pool and its phase. Nothing here changes the engine.
 */

/** What the explanation reads of the engine. */
export interface ExplainHost {
  resource(guid: number): Resource;
  /** The operation `r` waits for a pool slot for, if it does. */
  queuedFor(r: Resource): Operation | undefined;
  poolBusy(): number;
  poolQueued(): number;
  /** Whether `r` ends by itself once STARTED. */
  endsByItself(r: Resource): boolean;
  /** How far a trace-match gate's traces have come. */
  traceProgress(gate: Gate): TraceProgress[];
}

/** At most this many awaited resources are listed one by one (a barrier may hold 100,000). */
const LISTED = 20;

/** "2s", "1.5s", "250ms": a delay as a person reads it. */
export function formatDelay(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${Number((ms / 1000).toFixed(1))}s`;
}

function guidList(guids: readonly number[]): string {
  if (guids.length === 1) return `guid ${guids[0]}`;
  const shown =
    guids.length > LISTED ? `${guids.slice(0, LISTED).join(", ")} and ${guids.length - LISTED} more` : guids.join(", ");
  return `guids ${shown}`;
}

/** The awaited resources not there yet (an outside one is not deployed: it never will be). */
function notThere(gate: Gate, host: ExplainHost): { remaining: Awaited[]; outside: number[]; more: number } {
  const target = stateRank(gate.state);
  const remaining: Awaited[] = [];
  const outside: number[] = [];
  let more = 0;
  for (const g of gate.after) {
    const w = host.resource(g);
    if (w.maxRank >= target) continue;
    // A failed member of a start-together group no longer holds the others back.
    if (gate.kind === "startTogether" && (isTerminal(w.state) || isReleasing(w))) continue;
    if (!isScheduled(w) && w.state === ResourceState.NEW) outside.push(g);
    else if (remaining.length < LISTED) remaining.push({ guid: g, state: w.state });
    else more++;
  }
  return { remaining, outside, more };
}

/**
 * Explains many resources at once: a gate shared by many subjects (a start-together barrier
 * of 100,000) is looked at once, not once per subject.
 */
export class Explainer {
  private readonly seen = new Map<Gate, WaitReason>();

  constructor(private readonly host: ExplainHost) {}

  /** What `r` waits for before its next state; empty when it waits on nothing. */
  waitingOn(r: Resource): WaitReason[] {
    if (!isScheduled(r) || isReleasing(r) || isTerminal(r.state)) return [];
    const queued = this.host.queuedFor(r);
    if (queued) {
      const busy = this.host.poolBusy();
      return [
        {
          kind: "pool",
          operation: queued,
          busy,
          queued: this.host.poolQueued(),
          text: `${queued}: waiting for a pool slot (${busy} busy)`,
        },
      ];
    }
    if (r.phase.kind === "busy") {
      const op = r.phase.op;
      return [{ kind: "operation", operation: op, text: `${op} in progress` }];
    }
    const next =
      r.state === ResourceState.NEW
        ? "DEPLOY"
        : r.state === ResourceState.READY
          ? "START"
          : r.state === ResourceState.STARTED
            ? "STOP"
            : undefined;
    if (!next) return [];
    const out: WaitReason[] = [];
    const outside = new Set<number>();
    for (const gate of r.gates) {
      if (gate.action !== next || gate.opened || gate.broken) continue;
      const reason = this.explainGate(gate);
      if (reason.kind === "outside") for (const g of reason.guids) outside.add(g);
      else out.push(reason);
    }
    if (outside.size > 0) {
      const guids = [...outside];
      out.unshift({
        kind: "outside",
        guids,
        text: `waits on ${guidList(guids)}, which ${guids.length === 1 ? "is" : "are"} not part of this deploy`,
      });
    }
    if (next === "STOP" && out.length === 0) {
      const endsByItself = this.host.endsByItself(r);
      out.push({
        kind: "running",
        endsByItself,
        text: endsByItself ? "running until it ends by itself" : "running until stopped or released",
      });
    }
    return out;
  }

  private explainGate(gate: Gate): WaitReason {
    const known = this.seen.get(gate);
    if (known) return known;
    const { remaining, outside, more } = notThere(gate, this.host);
    let reason: WaitReason;
    if (outside.length > 0) {
      reason = { kind: "outside", guids: outside, text: "" };
    } else {
      const delay = gate.delayMs > 0 ? ` + ${formatDelay(gate.delayMs)}` : "";
      const head =
        gate.kind === "deployOrder"
          ? `DEPLOY after ${guidList(gate.after)} ${gate.state}`
          : gate.kind === "startTogether"
            ? `START together with ${guidList(gate.after)}`
            : gate.action === "SET"
              ? `SET ${gate.set?.name} after ${guidList(gate.after)} ${gate.state}${delay}`
              : gate.trace
                ? `${gate.action} after ${gate.trace.name} of ${guidList(gate.after)} matches ${showPattern(gate.trace.pattern.source)}${delay}`
                : `${gate.action} after ${guidList(gate.after)} ${gate.state}${delay}`;
      // A trace-match gate whose resources all started waits for a line: say how many were seen.
      const unmatched = remaining.length === 0 ? this.host.traceProgress(gate).filter((p) => !p.matched) : [];
      const firesAt = remaining.length === 0 && more === 0 && unmatched.length === 0 ? gate.firesAt : undefined;
      const seen = (p: TraceProgress) => `${p.lines} line${p.lines === 1 ? "" : "s"} seen, no match`;
      const why =
        remaining.length > 0
          ? remaining.map((a) => `guid ${a.guid} is ${a.state}`).join(", ") + (more > 0 ? ` and ${more} more` : "")
          : unmatched.length === 1 && gate.after.length === 1
            ? seen(unmatched[0]!)
            : unmatched.length > 0
              ? unmatched.map((p) => `guid ${p.guid}: ${seen(p)}`).join(", ")
              : firesAt !== undefined
                ? `${formatDelay(Math.max(0, firesAt - Date.now()))} left`
                : "opening";
      const fields = {
        action: gate.action,
        after: [...gate.after],
        state: gate.state,
        delayMs: gate.delayMs,
        remaining,
        ...(firesAt !== undefined ? { firesAt } : {}),
        text: `${head}: ${why}`,
      };
      reason =
        gate.kind === "condition"
          ? { kind: "condition", ...fields, ...(gate.condition !== undefined ? { condition: gate.condition } : {}) }
          : { kind: gate.kind, ...fields };
    }
    this.seen.set(gate, reason);
    return reason;
  }
}

/**
 * A wait of `r` that can never end because it is on resources no deploy took in (`deploy([A])`
 * with A waiting on a B left out): the reason `r` fails with, or undefined. A STOP condition
 * counts only for a resource that does not end by itself (one that does ends anyway).
 */
export function outsideWait(r: Resource, host: ExplainHost, seen = new Map<Gate, number[]>()): string | undefined {
  for (const gate of r.gates) {
    // The deploy order and the barrier are on members of the deploy by construction.
    if (gate.kind !== "condition" || gate.opened || gate.broken || gate.action === "SET") continue;
    if (gate.action === "STOP" && host.endsByItself(r)) continue;
    // A condition on many subjects is looked at once per deploy (`seen`).
    let outside = seen.get(gate);
    if (!outside) seen.set(gate, (outside = notThere(gate, host).outside));
    if (outside.length > 0) {
      return `cannot ${gate.action}: it waits on ${guidList(outside)}, which ${outside.length === 1 ? "is" : "are"} not part of this deploy`;
    }
  }
  return undefined;
}
