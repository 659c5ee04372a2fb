import jStat from "jstat";
import type { SampleStats } from "../model/campaign-run.js";

/** Student's t quantile: the value t with P(T ≤ t) = p, T having `dof` degrees of freedom. */
export function tQuantile(p: number, dof: number): number {
  return jStat.studentt.inv(p, dof);
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n − 1); 0 for fewer than two values. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Half-width of the two-sided `confidence` interval of the mean; Infinity below two values. */
export function halfWidth(xs: readonly number[], confidence: number): number {
  if (xs.length < 2) return Infinity;
  return tQuantile(1 - (1 - confidence) / 2, xs.length - 1) * (sampleStd(xs) / Math.sqrt(xs.length));
}

export function sampleStats(xs: readonly number[], confidence: number): SampleStats {
  const m = xs.length > 0 ? mean(xs) : NaN;
  const h = halfWidth(xs, confidence);
  return { n: xs.length, mean: m, std: sampleStd(xs), ciLow: m - h, ciHigh: m + h };
}

/** Converged: the interval's half-width is within `relError` of |mean| (a constant sample always is). */
export function converged(xs: readonly number[], relError: number, confidence: number): boolean {
  return xs.length >= 2 && halfWidth(xs, confidence) <= relError * Math.abs(mean(xs));
}
