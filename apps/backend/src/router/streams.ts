/**
 * Counts the subscription streams being served, so a shutdown can let the last events and
 * each stream's end reach their subscribers before the connections close.
 */
export class OpenStreams {
  private count = 0;
  private waiters: Array<() => void> = [];

  /** Marks a stream open; call the returned function when it ends. */
  open(): () => void {
    this.count++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.count === 0) for (const w of this.waiters.splice(0)) w();
    };
  }

  /** Resolves once no stream is open (or after `timeoutMs`, for a client that never reads). */
  drained(timeoutMs: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        // Let the stream's last message leave before the socket closes.
        setImmediate(resolve);
      });
    });
  }

  get size(): number {
    return this.count;
  }
}
