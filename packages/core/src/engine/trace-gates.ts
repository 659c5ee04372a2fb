import { ResourceState, isTerminal, stateRank } from "../model/states.js";
import { showPattern } from "../model/pattern.js";
import type { Gate } from "./gates.js";
import { LineMatcher } from "./line-matcher.js";
import { isReleased, type Resource } from "./resource-record.js";
import { after, type Timer } from "./timer.js";

/** What a trace-match gate waits for: a line of trace `name` of every awaited resource matching `pattern`. */
export interface TraceCondition {
  readonly name: string;
  readonly pattern: RegExp;
  /** Past this, counted from when the traced resource started, the gate breaks. */
  readonly timeoutMs?: number;
  readonly timeoutText?: string;
}

/** `stdout ~ /listening on/` */
export function describeTraceCondition(t: TraceCondition): string {
  return `${t.name} ~ ${showPattern(t.pattern.source)}`;
}

/** How the engine reads its resources' traces. */
export interface TraceSource {
  /** Follows trace `name` of `r` from its first byte (pushed as written); returns a stop. Throws when it cannot. */
  follow(r: Resource, name: string, onChunk: (chunk: string) => void): () => void;
  /** The whole trace, read once `r` ended: what the follow may not have delivered yet is in it. */
  read(r: Resource, name: string): Promise<string> | string;
  /** A dry run prints nothing: a simulated resource counts as matching once it started. */
  assumesMatch(r: Resource): boolean;
}

/** What trace watching needs of the gate watch. */
export interface TraceWatchHost {
  resource(guid: number): Resource;
  where(r: Resource): string;
  /** The trace of one awaited resource matched, at `at` (ms since epoch). */
  reached(gate: Gate, at: number): void;
  /** The gate can never open. */
  broken(gate: Gate, cause: string): void;
}

/** Where one awaited resource of a trace-match gate stands (what `waitingOn` says of it). */
export interface TraceProgress {
  guid: number;
  lines: number;
  matched: boolean;
}

/** One awaited resource of a trace-match gate. */
interface Watch {
  readonly gate: Gate;
  readonly trace: TraceCondition;
  readonly r: Resource;
  readonly matcher: LineMatcher;
  /** Every watch of the same gate (a failure of one breaks the gate for all). */
  readonly siblings: Watch[];
  following: boolean;
  done: boolean;
  matched?: boolean;
  stop?: () => void;
  timer?: Timer;
}

const STARTED_RANK = stateRank(ResourceState.STARTED);
const ENDED_RANK = stateRank(ResourceState.FINISHED);

function ended(r: Resource): boolean {
  return r.maxRank >= ENDED_RANK || isTerminal(r.state) || isReleased(r);
}

function lines(n: number): string {
  return `${n} line${n === 1 ? "" : "s"} seen`;
}

/**
 * Follows the traces trace-match gates wait on: from the moment the traced resource started
 * (its trace exists from then on), each chunk as the manager pushes it — no polling. A match
 * counts as the resource "getting there"; the follow ends with the match, at the gate's
 * timeout, or when the resource ended (then one read of the complete trace settles it).
 */
export class TraceWatch {
  private readonly byGuid = new Map<number, Watch[]>();
  private readonly live = new Set<Watch>();
  private readonly byGate = new WeakMap<Gate, Watch[]>();

  constructor(
    private readonly source: TraceSource,
    private readonly host: TraceWatchHost,
  ) {}

  /** Starts watching every resource `gate` waits on (its trace, or its start first). */
  arm(gate: Gate, trace: TraceCondition): void {
    const siblings: Watch[] = [];
    this.byGate.set(gate, siblings);
    for (const g of gate.after) {
      const r = this.host.resource(g);
      const w: Watch = { gate, trace, r, matcher: new LineMatcher(trace.pattern), siblings, following: false, done: false };
      siblings.push(w);
      this.live.add(w);
      const list = this.byGuid.get(g);
      if (list) list.push(w);
      else this.byGuid.set(g, [w]);
    }
    for (const w of siblings) {
      if (w.done) continue;
      if (w.r.maxRank >= STARTED_RANK) this.begin(w);
      else if (ended(w.r)) this.fail(w, this.gone(w.r));
    }
  }

  /** `r` moved: a watch waiting for its start begins following, one following it checks its end. */
  notify(r: Resource): void {
    const list = this.byGuid.get(r.guid);
    if (!list) return;
    for (const w of [...list]) {
      if (w.done) continue;
      if (w.following) {
        if (ended(r)) this.finalCheck(w);
      } else if (r.maxRank >= STARTED_RANK) {
        this.begin(w);
      } else if (ended(r)) {
        this.fail(w, this.gone(r));
      }
    }
    const rest = list.filter((w) => !w.done);
    if (rest.length === 0) this.byGuid.delete(r.guid);
    else this.byGuid.set(r.guid, rest);
  }

  /** For each resource `gate` waits on: how many lines of its trace were seen, and whether one matched. */
  progress(gate: Gate): TraceProgress[] {
    return (this.byGate.get(gate) ?? []).map((w) => ({ guid: w.r.guid, lines: w.matcher.lines, matched: w.matched === true }));
  }

  /** The experiment failed or was shut down: every follow and timeout ends. */
  cancel(): void {
    for (const w of this.live) this.finish(w);
    this.byGuid.clear();
  }

  private begin(w: Watch): void {
    w.following = true;
    const startedAt = w.r.reachedAt[STARTED_RANK]!;
    if (this.source.assumesMatch(w.r)) return this.matched(w, startedAt);
    const t = w.trace;
    const late = (n: number) =>
      `${t.name} of ${this.host.where(w.r)} did not match ${showPattern(t.pattern.source)} within ${t.timeoutText} of its start (${lines(n)})`;
    if (t.timeoutMs !== undefined) {
      const left = startedAt + t.timeoutMs - Date.now();
      // Started long before this gate was armed: what it printed in time is all there is to read.
      if (left <= 0) return this.finalCheck(w, late);
      w.timer = after(Math.ceil(left), () => {
        w.timer = undefined;
        if (!w.done) this.fail(w, late(w.matcher.lines));
      });
    }
    if (ended(w.r)) return this.finalCheck(w);
    let stop: () => void;
    try {
      stop = this.source.follow(w.r, w.trace.name, (chunk) => {
        if (!w.done && w.matcher.push(chunk)) this.matched(w, Date.now());
      });
    } catch (err) {
      return this.fail(
        w,
        `${w.trace.name} of ${this.host.where(w.r)} cannot be followed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    // A follow may deliver what is already written before it returns.
    if (w.done) stop();
    else w.stop = stop;
  }

  /** `r` ended (or the timeout is past): one read of the trace says whether it matched after all. */
  private finalCheck(w: Watch, failure?: (lines: number) => string): void {
    w.stop?.();
    w.stop = undefined;
    const { r, trace } = w;
    Promise.resolve()
      .then(() => this.source.read(r, trace.name))
      .then(
        (text) => {
          if (w.done) return;
          const m = new LineMatcher(trace.pattern);
          if (m.push(text)) return this.matched(w, Date.now());
          this.fail(
            w,
            failure
              ? failure(m.lines)
              : `${this.host.where(r)} is ${r.state} and its ${trace.name} never matched ${showPattern(trace.pattern.source)} (${lines(m.lines)})`,
          );
        },
        (err: unknown) => {
          if (!w.done)
            this.fail(
              w,
              `reading ${trace.name} of ${this.host.where(r)} failed: ${err instanceof Error ? err.message : String(err)}`,
            );
        },
      );
  }

  private matched(w: Watch, at: number): void {
    w.matched = true;
    this.finish(w);
    this.host.reached(w.gate, at);
  }

  /** One awaited trace can never match: the gate breaks, and its other follows end. */
  private fail(w: Watch, cause: string): void {
    for (const s of w.siblings) this.finish(s);
    this.host.broken(w.gate, cause);
  }

  private finish(w: Watch): void {
    w.done = true;
    w.timer?.cancel();
    w.timer = undefined;
    w.stop?.();
    w.stop = undefined;
    this.live.delete(w);
  }

  private gone(r: Resource): string {
    return `${this.host.where(r)} is ${r.state}${r.reason ? ` (${r.reason})` : ""} and never started`;
  }
}
