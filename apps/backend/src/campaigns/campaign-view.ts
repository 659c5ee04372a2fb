import {
  campaignConfidence,
  campaignPoints,
  campaignSummary,
  parameterKey,
  trackedMetric,
  type Campaign,
  type CampaignDetail,
  type CampaignRunInfo,
  type CampaignRunRow,
  type CampaignSummaryInfo,
  type CampaignSummaryRow,
} from "@nepi/core/node";
import type { StoredCampaign, StoredCampaignRun } from "../store/campaign-store.js";

/** The campaign block of a stored campaign's document (it was checked when the campaign started). */
export function campaignOf(c: StoredCampaign): Campaign {
  return c.document.campaign!;
}

/** The runs that ended (ok or failed) as runs.csv has them: what the summary is computed from. */
function endedRows(runs: readonly CampaignRunInfo[]): CampaignRunRow[] {
  return runs.flatMap((r) => (r.status === "ok" || r.status === "failed" ? [{ ...r, status: r.status }] : []));
}

/** The summary (core's rule) over the runs that ended; a failed run is counted, never averaged in. */
export function summaryOf(campaign: Campaign, runs: readonly CampaignRunInfo[]): CampaignSummaryRow[] {
  return campaignSummary(campaign, endedRows(runs));
}

/** A stored run with its point's values (the store keeps the point's number only). */
export function withParameters(campaign: Campaign, run: Omit<StoredCampaignRun, "parameters">): StoredCampaignRun {
  const point = campaignPoints(campaign).find((p) => p.point === run.point);
  return { ...run, parameters: point?.values ?? {} };
}

export function campaignSummaryInfo(c: StoredCampaign, runs: readonly CampaignRunInfo[]): CampaignSummaryInfo {
  const count = (s: CampaignRunInfo["status"]) => runs.filter((r) => r.status === s).length;
  return {
    campaignId: c.campaignId,
    experimentId: c.experimentId,
    experimentName: c.experimentName,
    status: c.status,
    ...(c.reason !== undefined ? { reason: c.reason } : {}),
    startedAt: c.startedAt,
    ...(c.endedAt !== undefined ? { endedAt: c.endedAt } : {}),
    points: campaignPoints(campaignOf(c)).length,
    counts: { ok: count("ok"), failed: count("failed"), running: count("running"), stopped: count("stopped") },
  };
}

export function campaignDetail(c: StoredCampaign, runs: readonly StoredCampaignRun[]): CampaignDetail {
  const campaign = campaignOf(c);
  const tracked = trackedMetric(campaign);
  return {
    ...campaignSummaryInfo(c, runs),
    parameters: campaign.parameters.map(parameterKey),
    metrics: campaign.metrics.map((m) => m.name),
    ...(tracked !== undefined ? { tracked } : {}),
    confidence: campaignConfidence(campaign),
    repetitions: campaign.repetitions,
    pointList: campaignPoints(campaign),
    runs: runs.map(({ seq: _seq, ...r }) => r),
    summary: summaryOf(campaign, runs),
  };
}
