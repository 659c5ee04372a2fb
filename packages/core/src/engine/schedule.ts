import { after, type Timer } from "./timer.js";

/** A callback `ec.schedule` will call; cancel() drops it if it has not run yet. */
export interface ScheduledCallback {
  cancel(): void;
}

/**
 * The user callbacks of `ec.schedule(delay, callback)` (NEPI's `schedule`): each runs once after
 * its delay, unless cancelled — all of them are when the experiment fails or is shut down. A
 * callback that throws (or whose promise rejects) is reported through `onError`, never thrown
 * into the engine.
 */
export class Schedule {
  private readonly pending = new Set<Timer>();

  constructor(private readonly onError: (err: unknown) => void) {}

  add(ms: number, callback: () => unknown): ScheduledCallback {
    const timer = after(ms, () => {
      this.pending.delete(timer);
      try {
        const result = callback();
        if (result instanceof Promise) result.catch(this.onError);
      } catch (err) {
        this.onError(err);
      }
    });
    this.pending.add(timer);
    return {
      cancel: () => {
        timer.cancel();
        this.pending.delete(timer);
      },
    };
  }

  /** No scheduled callback runs any more. */
  cancelAll(): void {
    for (const t of this.pending) t.cancel();
    this.pending.clear();
  }
}
