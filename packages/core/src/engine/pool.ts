import { Fifo } from "./fifo.js";

const GRANTED: Promise<void> = Promise.resolve();

/**
 * Bounds how many resource operations run at once (NEPI's NEPI_NTHREADS). Waiters are served
 * in arrival order; a freed slot passes straight to the next waiter.
 */
export class OperationPool {
  private active = 0;
  private readonly waiting = new Fifo<() => void>();

  constructor(readonly limit: number) {}

  /** Slots in use. */
  get busy(): number {
    return this.active;
  }

  /** Operations waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Takes a free slot now if there is one (no promise needed). */
  tryAcquire(): boolean {
    if (this.active < this.limit && this.waiting.length === 0) {
      this.active++;
      return true;
    }
    return false;
  }

  acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return GRANTED;
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  async run<T>(op: () => T | Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await op();
    } finally {
      this.release();
    }
  }
}
