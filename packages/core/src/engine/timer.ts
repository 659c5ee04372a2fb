/** The longest delay one Node timer holds (about 24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A pending call of `after()`. */
export interface Timer {
  cancel(): void;
}

/**
 * Calls `fn` once `ms` milliseconds have passed, however long that is: a delay beyond what one
 * Node timer holds is a chain of timers of at most MAX_TIMER_MS each. Every user delay or
 * duration that becomes a timer (condition delays, waits' timeouts, sim::Task) goes through here.
 */
export function after(ms: number, fn: () => void): Timer {
  let left = ms;
  let handle: ReturnType<typeof setTimeout>;
  const arm = () => {
    const step = Math.min(left, MAX_TIMER_MS);
    left -= step;
    handle = setTimeout(left > 0 ? arm : fn, step);
  };
  arm();
  return { cancel: () => clearTimeout(handle) };
}
