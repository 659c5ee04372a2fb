import { NepiError } from "../model/errors.js";
import { ResourceState } from "../model/states.js";
import { isGone, type Resource } from "./resource-record.js";
import { after, type Timer } from "./timer.js";

interface Waiter {
  guids: number[];
  pending: Set<number>;
  what: string;
  accept: (r: Resource) => boolean;
  rejectOnExperimentFailure: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
  timer?: Timer;
}

/** What the waits need of the controller. */
export interface WaitHost {
  resource(guid: number): Resource;
  where(r: Resource): string;
  /** What `r` waits for, in words (empty when nothing): a timed-out wait says why. */
  explain?(r: Resource): string;
}

/**
 * The controller's `waitX` promises, indexed by the guids they still wait for: a transition
 * checks only the waits on that resource. A wait resolves on the transition that completes it
 * and rejects on a failure of one of its resources, of the experiment, or on its timeout —
 * each time naming what was not there.
 */
export class WaitIndex {
  private readonly byGuid = new Map<number, Waiter[]>();

  constructor(private readonly host: WaitHost) {}

  wait(
    resources: Resource[],
    what: string,
    accept: (r: Resource) => boolean,
    options: { rejectOnExperimentFailure: boolean; experimentFailure?: string; timeoutMs?: number; timeoutText?: string },
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        guids: resources.map((r) => r.guid),
        pending: new Set(),
        what,
        accept,
        rejectOnExperimentFailure: options.rejectOnExperimentFailure,
        resolve,
        reject,
      };
      for (const r of resources) if (!accept(r)) w.pending.add(r.guid);
      if (w.pending.size === 0) return resolve();
      if (w.rejectOnExperimentFailure && options.experimentFailure !== undefined) {
        return this.reject(w, `the experiment failed: ${options.experimentFailure}`);
      }
      for (const g of w.pending) {
        const list = this.byGuid.get(g);
        if (list) list.push(w);
        else this.byGuid.set(g, [w]);
      }
      for (const r of resources) if (w.pending.has(r.guid)) this.check(w, r);
      if (options.timeoutMs !== undefined && w.pending.size > 0) {
        w.timer = after(options.timeoutMs, () => {
          const states = [...w.pending].map((g) => {
            const r = this.host.resource(g);
            const why = this.host.explain?.(r);
            return `${this.host.where(r)} is ${r.state}${why ? ` (${why})` : ""}`;
          });
          this.settle(w);
          reject(new NepiError("TIMEOUT", `wait for ${what} timed out after ${options.timeoutText}: ${states.join(", ")}`));
        });
      }
    });
  }

  /** `r` moved (or was released): check the waits on it. */
  notify(r: Resource): void {
    const list = this.byGuid.get(r.guid);
    if (!list) return;
    for (const w of list.length === 1 ? [list[0]!] : [...list]) this.check(w, r);
  }

  /** The experiment failed: every wait that should hear of it rejects. */
  experimentFailed(reason: string): void {
    const waiters = new Set<Waiter>();
    for (const list of this.byGuid.values()) for (const w of list) waiters.add(w);
    for (const w of waiters) if (w.rejectOnExperimentFailure) this.reject(w, `the experiment failed: ${reason}`);
  }

  private check(w: Waiter, r: Resource): void {
    if (!w.pending.has(r.guid)) return;
    if (w.accept(r)) {
      w.pending.delete(r.guid);
      this.unindex(r.guid, w);
      if (w.pending.size === 0) {
        this.settle(w);
        w.resolve();
      }
    } else if (isGone(r)) {
      this.reject(w, `${this.host.where(r)} is ${r.state}${r.reason ? `: ${r.reason}` : ""}`);
    }
  }

  private reject(w: Waiter, cause: string): void {
    const failed = w.guids
      .map((g) => this.host.resource(g))
      .filter((x) => x.state === ResourceState.FAILED)
      .map((x) => `${this.host.where(x)}: ${x.reason}`);
    if (failed.length > 10) failed.splice(10, failed.length - 10, `and ${failed.length - 10} more`);
    const detail = failed.length > 0 ? `failed: ${failed.join("; ")}` : cause;
    this.settle(w);
    const code = failed.length > 0 ? "RESOURCE_FAILED" : "EXPERIMENT_FAILED";
    const who =
      w.guids.length === 1
        ? `guid ${w.guids[0]}`
        : w.guids.length <= 10
          ? `guids ${w.guids.join(", ")}`
          : `${w.guids.length} resources`;
    w.reject(new NepiError(code, `wait for ${w.what} of ${who} ended: ${detail}`));
  }

  private settle(w: Waiter): void {
    w.timer?.cancel();
    for (const g of w.pending) this.unindex(g, w);
    w.pending.clear();
  }

  private unindex(guid: number, w: Waiter): void {
    const list = this.byGuid.get(guid);
    if (!list) return;
    const i = list.indexOf(w);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byGuid.delete(guid);
  }
}
