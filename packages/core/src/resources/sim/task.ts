import { registerResourceManager } from "../../catalog/registry.js";
import { SIM_TASK } from "../../catalog/types/sim-task.js";
import type { StateEvent } from "../../model/events.js";
import { TraceAttr } from "../../model/states.js";
import { parseTime } from "../../model/time.js";
import { after, type Timer } from "../../engine/timer.js";
import type { ResourceContext, ResourceManager, TraceQuery, TraceResult } from "../../engine/resource-manager.js";

/** The engine hands its own managers a little more than the public context: the history. */
interface SimContext extends ResourceContext {
  history(): readonly StateEvent[];
  onTransition(listener: (e: StateEvent) => void): () => void;
}

/** Resolves after `ms`, or rejects when the resource is released or the experiment fails. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error("aborted"));
    const timer = after(ms, () => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
    const onAbort = () => {
      timer.cancel();
      reject(new Error("aborted"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

const line = (e: StateEvent) => `${new Date(e.at).toISOString()} ${e.state}${e.reason ? ` ${e.reason}` : ""}\n`;

/**
 * `sim::Task`: a resource that does no I/O. Deploy takes `deployTime`, it runs `duration` then
 * FINISHES (or runs until stopped when the duration is empty), and `failIn` rehearses failures
 * (of the first `failAttempts` attempts only, when set: a retry then succeeds).
 * Its stdout is one line per state reached, derived from the controller's own history.
 */
class SimTask implements ResourceManager {
  private runTimer?: Timer;

  constructor(private readonly ctx: SimContext) {}

  /** The phase this attempt fails in ("none": it does not fail), as failIn and failAttempts say. */
  private get failIn(): string {
    const limit = this.ctx.get("failAttempts");
    if (typeof limit === "number" && this.ctx.attempt > limit) return "none";
    return String(this.ctx.get("failIn") ?? "none");
  }

  discover(): void | Promise<void> {
    const ms = parseTime(String(this.ctx.get("deployTime") || "0s"), "deployTime");
    // No deploy time: answer synchronously, the engine then needs no promise for this step.
    if (ms === 0) return this.deployed();
    return delay(ms, this.ctx.signal).then(() => this.deployed());
  }

  private deployed(): void {
    if (this.failIn === "deploy") throw new Error("simulated failure in deploy (failIn=deploy)");
  }

  start(): void {
    if (this.failIn === "start") throw new Error("simulated failure in start (failIn=start)");
    const duration = this.ctx.get("duration");
    if (this.failIn === "run") {
      this.ctx.failed("simulated failure while running (failIn=run)");
      return;
    }
    if (!duration) return; // runs until stopped
    const ms = parseTime(String(duration), "duration");
    // A zero duration needs no timer: the task ends as soon as it has started.
    if (ms === 0) this.ctx.finished();
    else this.runTimer = after(ms, () => this.ctx.finished());
  }

  stop(): void {
    this.clear();
  }

  release(): void {
    this.clear();
  }

  private clear(): void {
    this.runTimer?.cancel();
    this.runTimer = undefined;
  }

  private text(): string {
    return this.ctx.history().map(line).join("");
  }

  trace(name: string, query: TraceQuery): TraceResult {
    const text = this.text();
    switch (query.attr ?? TraceAttr.ALL) {
      case TraceAttr.SIZE:
        return new TextEncoder().encode(text).length;
      case TraceAttr.PATH:
        throw new Error(`sim::Task keeps trace "${name}" in memory: it has no path`);
      case TraceAttr.STREAM: {
        const block = query.block ?? 512;
        const bytes = new TextEncoder().encode(text);
        const from = (query.offset ?? 0) * block;
        return new TextDecoder().decode(bytes.subarray(from, from + block));
      }
      default:
        return text;
    }
  }

  followTrace(_name: string, offset: number, onChunk: (chunk: string, offset: number) => void): () => void {
    let sent = 0;
    const encoder = new TextEncoder();
    const push = (chunk: string) => {
      const bytes = encoder.encode(chunk);
      const end = sent + bytes.length;
      if (end > offset) {
        const skip = Math.max(0, offset - sent);
        onChunk(new TextDecoder().decode(bytes.subarray(skip)), sent + skip);
      }
      sent = end;
    };
    const history = this.ctx.history();
    for (const e of history) push(line(e));
    // Followed from inside a "state" listener, the transition being reported is already in the
    // history: it must not come a second time through onTransition.
    const lastReplayed = history[history.length - 1];
    return this.ctx.onTransition((e) => {
      if (e !== lastReplayed) push(line(e));
    });
  }
}

registerResourceManager(SIM_TASK.rtype, (ctx) => new SimTask(ctx as SimContext));
