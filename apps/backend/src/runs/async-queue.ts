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

  /**
   * The items read one by one, each mapped by `fn`, as a hand-written async iterator: an item
   * already queued is returned at once (a resolved promise), without the turns an async
   * generator takes per item, which count when a burst of thousands is sent to many readers.
   * `onClose` runs once, when the queue is read to its end or the reader stops (`return()`).
   */
  map<U>(fn: (item: T) => U, onClose: () => void): AsyncIterableIterator<U> {
    let closed = false;
    const done = (): Promise<IteratorResult<U>> => {
      if (!closed) {
        closed = true;
        this.end();
        onClose();
      }
      return Promise.resolve({ done: true, value: undefined });
    };
    const iterator: AsyncIterableIterator<U> = {
      next: (): Promise<IteratorResult<U>> => {
        if (closed) return done();
        if (this.head < this.items.length) return Promise.resolve({ done: false, value: fn(this.shift()) });
        if (this.ended) return done();
        return new Promise<void>((resolve) => (this.wake = resolve)).then(() => iterator.next());
      },
      return: done,
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** The first item queued (there must be one). */
  private shift(): T {
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    // Drop what was read once it is most of the array (amortised O(1) per item).
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      while (this.head < this.items.length) yield this.shift();
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}
