import type { AttributeValue } from "../model/catalog-schema.js";
import { isTimeString, parseTime } from "../model/time.js";

/** The units tc accepts for a rate, in bits per second (tc(8) "RATES"; bps means bytes). */
const RATE_UNITS: Record<string, number> = {
  "": 1,
  bit: 1,
  kbit: 1e3,
  mbit: 1e6,
  gbit: 1e9,
  tbit: 1e12,
  kibit: 1024,
  mibit: 1024 ** 2,
  gibit: 1024 ** 3,
  tibit: 1024 ** 4,
  bps: 8,
  kbps: 8e3,
  mbps: 8e6,
  gbps: 8e9,
  tbps: 8e12,
};
const RATE_RE = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

/** Bits per second of a rate written as tc writes it (10mbit, 512kbit, 1gbit), or undefined. */
export function parseRate(rate: string): number | undefined {
  const m = RATE_RE.exec(rate);
  if (!m) return undefined;
  const unit = RATE_UNITS[m[2]!.toLowerCase()];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

/** Rounds to at most 3 significant digits and drops trailing zeros: 10, 1.5, 0.333. */
function short(n: number): string {
  return String(Number(n.toPrecision(3)));
}

/** A rate for people: 10 Mbit/s, 512 kbit/s, 1.5 Gbit/s, 800 bit/s. */
export function formatBitRate(bitsPerSecond: number): string {
  const units: [number, string][] = [
    [1e12, "Tbit/s"],
    [1e9, "Gbit/s"],
    [1e6, "Mbit/s"],
    [1e3, "kbit/s"],
  ];
  for (const [size, unit] of units) if (bitsPerSecond >= size) return `${short(bitsPerSecond / size)} ${unit}`;
  return `${short(bitsPerSecond)} bit/s`;
}

/** A duration for people: 20 ms, 1.5 s, 250 µs. */
function formatDuration(ms: number): string {
  if (ms >= 1000) return `${short(ms / 1000)} s`;
  if (ms > 0 && ms < 1) return `${short(ms * 1000)} µs`;
  return `${short(ms)} ms`;
}

function text(v: AttributeValue | undefined): string {
  return v === undefined ? "" : String(v).trim();
}

/**
 * A link's shaping in a few words, as its edge on the canvas reads: `10 Mbit/s · 20 ms ± 5 ms ·
 * 1 %`. Each part only when set (an unlimited, undelayed, lossless link reads ""); a value that
 * is not understood is shown as written.
 */
export function shapingLabel(values: {
  rate?: AttributeValue;
  delay?: AttributeValue;
  jitter?: AttributeValue;
  loss?: AttributeValue;
}): string {
  const parts: string[] = [];
  const rate = text(values.rate);
  if (rate) {
    const bps = parseRate(rate);
    parts.push(bps === undefined ? rate : formatBitRate(bps));
  }
  const delay = text(values.delay);
  const jitter = text(values.jitter);
  const time = (t: string) => (isTimeString(t) ? formatDuration(parseTime(t)) : t);
  const delayed = delay && !(isTimeString(delay) && parseTime(delay) === 0);
  if (delayed) parts.push(jitter ? `${time(delay)} ± ${time(jitter)}` : time(delay));
  else if (jitter) parts.push(`± ${time(jitter)}`);
  const loss = Number(text(values.loss) || 0);
  if (!Number.isFinite(loss)) parts.push(`${text(values.loss)} %`);
  else if (loss > 0) parts.push(`${short(loss)} %`);
  return parts.join(" · ");
}
