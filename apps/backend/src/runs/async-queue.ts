/**
 * An unbounded queue read as an async iterable: a subscription pushes events into it
 * synchronously (so none is missed between a snapshot and the live feed) and the stream
 * consumes them in order. `end()` lets the reader finish once what is queued is read.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private head = 0;
  private ended = false;
  private wake: (() => void) | undefined;

  push(item: T): void {
    if (this.ended) return;
    this.items.push(item);
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Every item queued now (waiting for at least one), or undefined once ended and read. */
  async takeAll(): Promise<T[] | undefined> {
    while (this.head >= this.items.length) {
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const out = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return out;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      while (this.head < this.items.length) {
        const item = this.items[this.head]!;
        this.items[this.head++] = undefined as T;
        // Drop what was read once it is most of the array (amortised O(1) per item).
        if (this.head > 1024 && this.head * 2 > this.items.length) {
          this.items = this.items.slice(this.head);
          this.head = 0;
        }
        yield item;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}
