/**
 * The `counters` trace of a network link: one line per sample, `<epoch ms> <bytes end 1 → end 2>
 * <bytes end 2 → end 1> <1 up | 0 down>`, the byte counters cumulative since the link was made.
 */
export const LINK_COUNTERS_TRACE = "counters";

export interface LinkSample {
  at: number;
  /** Bytes carried from end 1 to end 2 so far (end 1: the lower guid of the two). */
  forward: number;
  /** Bytes carried from end 2 to end 1 so far. */
  backward: number;
  up: boolean;
}

/** The link's throughput between two samples, in bits per second each way. */
export interface LinkRate {
  at: number;
  forwardBps: number;
  backwardBps: number;
  up: boolean;
}

const SAMPLE = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+([01])\s*$/;

/** One sample line, or undefined for a line that is not one (a partial line, noise). */
export function parseLinkSample(line: string): LinkSample | undefined {
  const m = SAMPLE.exec(line);
  if (!m) return undefined;
  return { at: Number(m[1]), forward: Number(m[2]), backward: Number(m[3]), up: m[4] === "1" };
}

/** Every complete sample of a `counters` trace's text (a last line without its newline waits). */
export function parseLinkCounters(text: string): LinkSample[] {
  const lines = text.split("\n");
  lines.pop();
  const out: LinkSample[] = [];
  for (const line of lines) {
    const s = parseLinkSample(line);
    if (s) out.push(s);
  }
  return out;
}

/**
 * Throughput from two successive samples (`later` after `earlier`). A counter that went down
 * (the link was made again) counts from zero; samples at the same instant give no rate.
 */
export function linkRate(earlier: LinkSample, later: LinkSample): LinkRate | undefined {
  const seconds = (later.at - earlier.at) / 1000;
  if (!(seconds > 0)) return undefined;
  const delta = (a: number, b: number) => (b >= a ? b - a : b);
  return {
    at: later.at,
    forwardBps: (delta(earlier.forward, later.forward) * 8) / seconds,
    backwardBps: (delta(earlier.backward, later.backward) * 8) / seconds,
    up: later.up,
  };
}

/**
 * Follows a `counters` trace chunk by chunk and keeps only what the canvas draws: the latest
 * rate and whether the link is up. Chunks may cut lines anywhere.
 */
export class LinkCountersFollower {
  private partial = "";
  /** The latest sample seen. */
  last: LinkSample | undefined;
  /** The rate between the last two samples. */
  rate: LinkRate | undefined;

  /** Takes the next chunk of the trace; true when a new sample came with it. */
  push(chunk: string): boolean {
    const text = this.partial + chunk;
    const end = text.lastIndexOf("\n");
    if (end < 0) {
      this.partial = text;
      return false;
    }
    this.partial = text.slice(end + 1);
    let changed = false;
    for (const line of text.slice(0, end).split("\n")) {
      const s = parseLinkSample(line);
      if (!s) continue;
      if (this.last) this.rate = linkRate(this.last, s) ?? this.rate;
      this.last = s;
      changed = true;
    }
    return changed;
  }
}
