import { NepiError } from "./errors.js";

const UNIT_MS: Record<string, number> = { us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const TIME_RE = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(us|ms|s|m|h)\s*$/;

/**
 * The longest delay or duration NEPI accepts: 365 days. A week-long experiment is legitimate
 * (long delays are scheduled with chained timers, engine/timer.ts); a year is the sanity bound.
 */
export const MAX_TIME_MS = 365 * 24 * 3_600_000;
const MAX_TEXT = "365 days (8760h)";

/** Milliseconds of a well-formed time string, or undefined (no bound checked). */
function toMs(text: string): number | undefined {
  const m = TIME_RE.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

/** True when `text` has the shape of a time string (a number and a unit), whatever its size. */
export function isWellFormedTime(text: string): boolean {
  return TIME_RE.test(text);
}

/** Why `value` is not an acceptable time string, or undefined when it is. */
export function timeStringProblem(value: string): string | undefined {
  const ms = toMs(value);
  if (ms === undefined) return `"${value}" is not a time string (expected a number and a unit: 10us, 500ms, 2s, 1.5m, 1h)`;
  if (!(ms <= MAX_TIME_MS))
    return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}" is longer than the maximum of ${MAX_TEXT}`;
  return undefined;
}

/** True when `text` is a NEPI time string such as `500ms`, `2s`, `1.5m`, `1h`, `10us`, within the maximum. */
export function isTimeString(text: unknown): text is string {
  return typeof text === "string" && timeStringProblem(text) === undefined;
}

/**
 * Parses a NEPI time string into milliseconds. A bare number is taken as milliseconds.
 * `field` names what is being parsed, so the error says where the bad value came from.
 */
export function parseTime(value: string | number, field = "time"): number {
  if (typeof value === "number") {
    if (Number.isFinite(value) && value >= 0 && value <= MAX_TIME_MS) return value;
    throw new NepiError("BAD_TIME", `${field}: expected a non-negative duration of at most ${MAX_TEXT}, got ${value}`, field);
  }
  const problem = timeStringProblem(value);
  if (problem) throw new NepiError("BAD_TIME", `${field}: ${problem}`, field);
  return toMs(value)!;
}

/** Formats milliseconds back into the shortest exact NEPI time string. */
export function formatTime(ms: number): string {
  if (ms === 0) return "0s";
  for (const unit of ["h", "m", "s", "ms"] as const) {
    const n = ms / UNIT_MS[unit]!;
    if (Number.isInteger(n)) return `${n}${unit}`;
  }
  return `${Math.round(ms * 1000)}us`;
}
