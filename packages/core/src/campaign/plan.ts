import type { Campaign } from "../model/campaign.js";
import type { CampaignPoint, CampaignRunRow, CampaignSummaryRow } from "../model/campaign-run.js";
import { campaignPoints } from "./points.js";
import { converged, sampleStats } from "./stats.js";

const DEFAULT_CONFIDENCE = 0.95;

/** The confidence of the campaign's intervals: the repetitions', else 95 %. */
export function campaignConfidence(campaign: Campaign): number {
  const reps = campaign.repetitions;
  return "confidence" in reps ? reps.confidence : DEFAULT_CONFIDENCE;
}

/** The metric the repetitions converge on, else the first declared one (what a live line and a chart show). */
export function trackedMetric(campaign: Campaign): string | undefined {
  const reps = campaign.repetitions;
  return "metric" in reps ? reps.metric : campaign.metrics[0]?.name;
}

/** The metric's values in the point's successful runs (a failed run is never averaged in). */
export function okValues(rows: readonly CampaignRunRow[], point: number, metric: string): number[] {
  return rows
    .filter((r) => r.point === point && r.status === "ok" && typeof r.metrics[metric] === "number")
    .map((r) => r.metrics[metric] as number);
}

/**
 * The number of the point's next run, or undefined when it has all it needs: `count` runs, or
 * (converging) `max` runs, or at least `min` successful ones whose interval is narrow enough.
 */
export function nextRun(campaign: Campaign, point: CampaignPoint, rows: readonly CampaignRunRow[]): number | undefined {
  const reps = campaign.repetitions;
  const done = rows.filter((r) => r.point === point.point).map((r) => r.run);
  if ("count" in reps) {
    for (let run = 1; run <= reps.count; run++) if (!done.includes(run)) return run;
    return undefined;
  }
  if (done.length >= reps.max) return undefined;
  const xs = okValues(rows, point.point, reps.metric);
  if (xs.length >= reps.min && converged(xs, reps.relError, reps.confidence)) return undefined;
  return done.length === 0 ? 1 : Math.max(...done) + 1;
}

/** One row per point and metric: the statistics over its successful runs, and how many failed. */
export function campaignSummary(campaign: Campaign, rows: readonly CampaignRunRow[]): CampaignSummaryRow[] {
  const confidence = campaignConfidence(campaign);
  return campaignPoints(campaign).flatMap((p) =>
    campaign.metrics.map((m) => ({
      point: p.point,
      parameters: p.values,
      metric: m.name,
      failed: rows.filter((r) => r.point === p.point && r.status === "failed").length,
      ...sampleStats(okValues(rows, p.point, m.name), confidence),
    })),
  );
}
