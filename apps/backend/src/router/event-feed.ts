import { z } from "zod";
import { AsyncQueue } from "../runs/async-queue.js";
import type { Context } from "./context.js";

/** A tracked event id: the `seq` of the last event received (a run's or a campaign's). */
export const EventId = z
  .string()
  .regex(/^\d{1,15}$/, "expected the id of an event received before")
  .nullish();

/** Where a feed's events come from: a run or a campaign, held here or by a worker. */
export interface FeedSource<E extends { seq: number }> {
  /** Follows it live while this process holds it; undefined when it does not. */
  watch(onEvent: (e: E) => void, onClosed: () => void): (() => void) | undefined;
  /** The first event of a fresh subscription: the state so far, at its seq. */
  snapshot(): Promise<E>;
  /** What was stored after `seq` (also checks it exists). */
  eventsAfter(seq: number): Promise<E[]>;
  /** Follows it as a worker stores its events, from `after`; undefined when it is over. */
  watchElsewhere(after: number, onEvent: (e: E) => void, onEnd: () => void): (() => void) | undefined;
}

/**
 * Events from `lastEventId` on (or a snapshot first), then live until the source ends. The live
 * feed is joined before the backlog is read, and what it brings meanwhile is held: no event is
 * lost, and none is repeated (each is taken once, by its seq).
 */
export async function openEventFeed<E extends { seq: number }>(
  ctx: Context,
  source: FeedSource<E>,
  lastEventId: string | null | undefined,
  signal: AbortSignal | undefined,
) {
  const queue = new AsyncQueue<E>();
  const held: E[] = [];
  let joined = false;
  let closed = false;
  let after = 0;
  const take = (e: E) => {
    if (e.seq <= after) return;
    after = e.seq;
    queue.push(e);
  };
  const onEvent = (e: E) => (joined ? take(e) : held.push(e));
  const onClosed = () => (joined ? queue.end() : (closed = true));
  const endSubscription = ctx.connection.openSubscription();
  const done = ctx.streams.open();
  const unwatch = source.watch(onEvent, onClosed);
  let unwatchElsewhere: (() => void) | undefined;
  signal?.addEventListener("abort", onClosed, { once: true });
  const close = () => {
    done();
    endSubscription();
    unwatch?.();
    unwatchElsewhere?.();
    signal?.removeEventListener("abort", onClosed);
  };
  try {
    if (lastEventId == null) {
      const snapshot = await source.snapshot();
      queue.push(snapshot);
      after = snapshot.seq;
    } else {
      after = Number(lastEventId);
      for (const e of await source.eventsAfter(after)) take(e);
    }
  } catch (err) {
    close();
    throw err;
  }
  for (const e of held) take(e);
  joined = true;
  // Held by a worker: its events as they are stored, from where the backlog ended.
  if (!unwatch && !closed) unwatchElsewhere = source.watchElsewhere(after, take, () => queue.end());
  if (closed || (!unwatch && !unwatchElsewhere)) queue.end();
  return { queue, close };
}
