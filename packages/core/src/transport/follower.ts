import { StringDecoder } from "node:string_decoder";
import { shq } from "./quote.js";
import { TransportClosedError, type StreamHandle, type Transport } from "./types.js";

/**
 * The remote side of a follow: `tail -F` from a byte offset (GNU tail waits on inotify, so the
 * host pushes new bytes as they are written — nobody polls). `cat` holds the channel's stdin:
 * when we close the channel, or the connection drops, its EOF ends `tail` too, so nothing is left
 * behind on the host.
 */
export function followScript(path: string, offset: number): string {
  return `tail -c +${offset + 1} -F -- ${shq(path)} 2>/dev/null & t=$!; cat >/dev/null; kill $t 2>/dev/null`;
}

/**
 * How many trace follows may hold a channel on one SSH host at once. sshd allows 10 sessions
 * per connection (MaxSessions); the control shells, the event channel and SFTP need theirs, so
 * follows beyond this wait their turn (a follow ends when its application exits).
 */
export const FOLLOWS_PER_HOST = 4;

class Slots {
  private used = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  acquire(): Promise<void> {
    if (this.used < this.limit) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.used--;
  }
}
const SLOTS = new WeakMap<Transport, Slots>();
function slotsOf(transport: Transport): Slots {
  // A network namespace's transport runs over its machine's connection, and shares its slots.
  const t = (transport as { connection?: Transport }).connection ?? transport;
  let s = SLOTS.get(t);
  if (!s) SLOTS.set(t, (s = new Slots(t.isLocal ? Number.POSITIVE_INFINITY : FOLLOWS_PER_HOST)));
  return s;
}

/**
 * Follows a file of a host from a byte offset, resuming from where it was when the connection
 * dropped (the transport reconnects). `onText` gets decoded text and the byte offset it starts at.
 * A `limited` follower (a trace) waits for one of the host's follow slots; the event channel is
 * not limited.
 */
export class FileFollower {
  private handle?: StreamHandle;
  private closed = false;
  private holdsSlot = false;
  private failures = 0;
  private readonly decoder = new StringDecoder("utf8");
  /** Byte offset where the next decoded text starts (the decoder may hold a split character). */
  private textOffset: number;

  constructor(
    private readonly transport: Transport,
    private readonly path: string,
    private offset: number,
    private readonly onText: (text: string, startOffset: number) => void,
    private readonly onGiveUp?: (error: Error) => void,
    limited = false,
  ) {
    this.textOffset = offset;
    if (!limited) this.open();
    else
      void slotsOf(transport)
        .acquire()
        .then(() => {
          this.holdsSlot = true;
          if (this.closed) this.releaseSlot();
          else this.open();
        });
  }

  /** Bytes of the file consumed so far. */
  get position(): number {
    return this.offset;
  }

  private releaseSlot(): void {
    if (!this.holdsSlot) return;
    this.holdsSlot = false;
    slotsOf(this.transport).release();
  }

  private deliver(chunk: Buffer): void {
    this.offset += chunk.length;
    const text = this.decoder.write(chunk);
    if (text) {
      const at = this.textOffset;
      this.textOffset += Buffer.byteLength(text);
      this.onText(text, at);
    }
  }

  private open(): void {
    if (this.closed) return;
    this.handle = this.transport.stream(followScript(this.path, this.offset), {
      open: () => {
        this.failures = 0;
      },
      data: (chunk) => {
        if (!this.closed) this.deliver(chunk);
      },
      end: (error) => {
        if (this.closed) return;
        // The stream ended under us (connection dropped): follow again from where we were.
        this.failures++;
        if (this.failures > 8 || error instanceof TransportClosedError) {
          this.close();
          this.onGiveUp?.(error ?? new Error(`following ${this.path} on ${this.transport.label} ended`));
          return;
        }
        const wait = this.failures === 1 ? 0 : Math.min(100 * 2 ** this.failures, 5000);
        setTimeout(() => this.open(), wait);
      },
    });
  }

  /**
   * The file is complete (its writer exited): stop following, deliver what is left with one
   * read, and free the channel.
   */
  async finish(): Promise<void> {
    if (this.closed) return;
    this.close();
    const size = await this.transport.size(this.path);
    while (size > this.offset) {
      const chunk = await this.transport.readRange(this.path, this.offset, Math.min(size - this.offset, 1 << 20));
      if (chunk.length === 0) break;
      this.deliver(chunk);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle?.close();
    this.releaseSlot();
  }
}

export type ExitListener = (exitCode: number) => void;
/** The event channel could not be re-established: exits can no longer be learnt. */
export type LostListener = (error: Error) => void;

/**
 * The one event channel of a host for a run: every application's wrapper appends
 * `<guid> <exit code>` to the run's events file when its process ends; this follows that file
 * and tells each application as it happens.
 */
export class ExitEvents {
  private readonly follower: FileFollower;
  private readonly listeners = new Map<number, ExitListener>();
  private readonly lostListeners = new Map<number, LostListener>();
  private lost?: Error;
  /** Exits seen before anyone listened (an application that ended very fast). */
  private readonly early = new Map<number, number>();
  private partial = "";

  /** `offset`: where to begin reading (exits before it are not this follower's). */
  constructor(transport: Transport, eventsFile: string, onGiveUp?: (error: Error) => void, offset = 0) {
    this.follower = new FileFollower(
      transport,
      eventsFile,
      offset,
      (text) => this.onText(text),
      (error) => {
        this.lost = error;
        onGiveUp?.(error);
        for (const l of [...this.lostListeners.values()]) l(error);
      },
    );
  }

  private onText(text: string): void {
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      const m = /^(\d+) (-?\d+)$/.exec(line.trim());
      if (!m) continue;
      const guid = Number(m[1]);
      const code = Number(m[2]);
      const l = this.listeners.get(guid);
      if (l) l(code);
      else this.early.set(guid, code);
    }
  }

  /** Calls `listener` once the application `guid` exits (at once if it already did). */
  listen(guid: number, listener: ExitListener, onLost?: LostListener): () => void {
    this.listeners.set(guid, listener);
    if (onLost) this.lostListeners.set(guid, onLost);
    if (this.lost && onLost) {
      const error = this.lost;
      queueMicrotask(() => onLost(error));
    }
    const code = this.early.get(guid);
    if (code !== undefined) {
      this.early.delete(guid);
      queueMicrotask(() => this.listeners.get(guid) === listener && listener(code));
    }
    return () => {
      if (this.listeners.get(guid) === listener) this.listeners.delete(guid);
      if (onLost && this.lostListeners.get(guid) === onLost) this.lostListeners.delete(guid);
    };
  }

  /** For an application started again: forget an old exit. */
  forget(guid: number): void {
    this.early.delete(guid);
  }

  close(): void {
    this.follower.close();
  }
}
