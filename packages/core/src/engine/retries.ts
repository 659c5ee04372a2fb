import type { AttributeValue } from "../model/catalog-schema.js";
import { formatTime, parseTime } from "../model/time.js";
import type { Resource } from "./resource-record.js";
import { after, type Timer } from "./timer.js";

/** Where a failed attempt is taken up again: a failed deploy deploys again, a failed start or run starts again. */
export type RetryFrom = "deploy" | "start";

/** The attempt that follows a failed one. */
export interface NextAttempt {
  attempt: number;
  /** The last attempt this round allows. */
  last: number;
  delayMs: number;
}

/**
 * The retry policy of every resource (`retries`, `retryDelay`) and the pauses between attempts.
 * Attempts are numbered for the whole run; "Retry failed" starts a new round with the same
 * number of retries. The pauses are timers cancelled when the experiment fails or shuts down.
 */
export class Retries {
  private readonly timers = new Set<Timer>();
  /** The first attempt of the current round, for resources "Retry failed" took up. */
  private readonly roundStart = new Map<number, number>();

  constructor(private readonly valueOf: (r: Resource, name: string) => AttributeValue | undefined) {}

  /** The attempt after the current one of `r`, or undefined when its retries are used up. */
  next(r: Resource): NextAttempt | undefined {
    const retries = Number(this.valueOf(r, "retries") ?? 0);
    const first = this.roundStart.get(r.guid) ?? 1;
    const last = first + retries;
    if (!(r.attempt < last)) return undefined;
    const delay = this.valueOf(r, "retryDelay");
    return { attempt: r.attempt + 1, last, delayMs: delay ? parseTime(String(delay), "retryDelay") : 0 };
  }

  /** The last attempt the current round of `r` allows. */
  lastAttempt(r: Resource): number {
    return (this.roundStart.get(r.guid) ?? 1) + Number(this.valueOf(r, "retries") ?? 0);
  }

  /** "Retry failed": `r` begins a new round at its next attempt. */
  newRound(r: Resource): void {
    this.roundStart.set(r.guid, r.attempt + 1);
  }

  /** Runs `fn` after the retry delay (a zero delay: once the current work is done). */
  later(delayMs: number, fn: () => void): void {
    if (delayMs <= 0) {
      queueMicrotask(fn);
      return;
    }
    const timer = after(delayMs, () => {
      this.timers.delete(timer);
      fn();
    });
    this.timers.add(timer);
  }

  /** No pending retry runs any more. */
  cancel(): void {
    for (const t of this.timers) t.cancel();
    this.timers.clear();
  }
}

/** "attempt 1 of 3 failed: …; attempt 2 in 2s". */
export function retryReason(failed: number, next: NextAttempt, reason: string): string {
  const when = next.delayMs > 0 ? `in ${formatTime(next.delayMs)}` : "now";
  return `attempt ${failed} of ${next.last} failed: ${reason}; attempt ${next.attempt} ${when}`;
}
