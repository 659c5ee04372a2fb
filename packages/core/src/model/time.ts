import { NepiError } from "./errors.js";

const UNIT_MS: Record<string, number> = { us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const TIME_RE = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(us|ms|s|m|h)\s*$/;

/** True when `text` is a NEPI time string such as `500ms`, `2s`, `1.5m`, `1h`, `10us`. */
export function isTimeString(text: unknown): text is string {
  return typeof text === "string" && TIME_RE.test(text);
}

/**
 * Parses a NEPI time string into milliseconds. A bare number is taken as milliseconds.
 * `field` names what is being parsed, so the error says where the bad value came from.
 */
export function parseTime(value: string | number, field = "time"): number {
  if (typeof value === "number") {
    if (Number.isFinite(value) && value >= 0) return value;
    throw new NepiError("BAD_TIME", `${field}: expected a non-negative duration, got ${value}`, field);
  }
  const m = TIME_RE.exec(value);
  if (!m) {
    throw new NepiError(
      "BAD_TIME",
      `${field}: "${value}" is not a time string (expected a number and a unit: 10us, 500ms, 2s, 1.5m, 1h)`,
      field,
    );
  }
  return Number(m[1]) * UNIT_MS[m[2]!]!;
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
