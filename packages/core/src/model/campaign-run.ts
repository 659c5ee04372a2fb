import type { AttributeValue } from "./catalog-schema.js";
import type { Repetitions } from "./campaign.js";

/** Mean, sample standard deviation and the two-sided Student's t interval of a sample. */
export interface SampleStats {
  n: number;
  mean: number;
  std: number;
  ciLow: number;
  ciHigh: number;
}

/** One combination of the swept values, keyed `label.attribute`, numbered from 1. */
export interface CampaignPoint {
  point: number;
  values: Record<string, AttributeValue>;
}

/** One row of runs.csv / runs.json: a run that ended, ok or failed. */
export interface CampaignRunRow {
  run: number;
  point: number;
  runId: string;
  parameters: Record<string, AttributeValue>;
  metrics: Record<string, number | null>;
  status: "ok" | "failed";
  reason?: string;
}

/** One row of summary.csv / summary.json: a point's metric over its successful runs. */
export interface CampaignSummaryRow extends SampleStats {
  point: number;
  parameters: Record<string, AttributeValue>;
  metric: string;
  failed: number;
}

/** How a campaign run on the server stands: under way, over (how), or cut short. */
export const CAMPAIGN_STATUSES = ["RUNNING", "FINISHED", "FINISHED_WITH_FAILURES", "STOPPED", "INTERRUPTED", "FAILED"] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/**
 * A run of a campaign as the server shows it: one of its runs (a normal run, `runId`), under
 * way, ended (ok or failed), or stopped before it ended (not counted; a resume runs it again).
 */
export interface CampaignRunInfo extends Omit<CampaignRunRow, "status"> {
  status: CampaignRunRow["status"] | "running" | "stopped";
}

/** A campaign in a list: what it sweeps, how it stands. */
export interface CampaignSummaryInfo {
  campaignId: string;
  experimentId: string;
  experimentName: string;
  status: CampaignStatus;
  reason?: string;
  startedAt: number;
  endedAt?: number;
  points: number;
  counts: { ok: number; failed: number; running: number; stopped: number };
}

/** A campaign in full: its points, every run, and the summary over the successful ones. */
export interface CampaignDetail extends CampaignSummaryInfo {
  /** The swept attributes, `label.attribute`, in the document's order. */
  parameters: string[];
  metrics: string[];
  /** The metric the repetitions converge on (or the first one): the chart's. */
  tracked?: string;
  confidence: number;
  repetitions: Repetitions;
  pointList: CampaignPoint[];
  runs: CampaignRunInfo[];
  summary: CampaignSummaryRow[];
}

/**
 * What `campaigns.events` streams; each event's `seq` is its tracked id. A snapshot first, then
 * each run as it starts and ends (with the summary as it stands), and each status change.
 */
export type CampaignEvent =
  | { type: "snapshot"; seq: number; campaign: CampaignDetail }
  | { type: "run"; seq: number; run: CampaignRunInfo; summary: CampaignSummaryRow[] }
  | { type: "status"; seq: number; status: CampaignStatus; reason?: string; at: number };
