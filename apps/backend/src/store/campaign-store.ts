import type { CampaignEvent, CampaignRunInfo, CampaignStatus, ExperimentDocument } from "@nepi/core";
import type { Db } from "./db.js";

export interface StoredCampaign {
  campaignId: string;
  experimentId: string;
  experimentName: string;
  /** The document with its campaign, as started (credentials included: it is run again on resume). */
  document: ExperimentDocument;
  /** Where the campaign writes runs.csv, summary.csv and their JSON. */
  dir: string;
  status: CampaignStatus;
  reason?: string;
  startedAt: number;
  endedAt?: number;
}

/** A campaign run as stored: its place in the campaign (`seq`) and how it stands. */
export type StoredCampaignRun = CampaignRunInfo & { seq: number };

interface CampaignRow {
  id: string;
  experiment_id: string;
  experiment_name: string;
  document: string;
  dir: string;
  status: string;
  reason: string | null;
  started_at: number;
  ended_at: number | null;
}
interface CampaignRunDbRow {
  seq: number;
  point: number;
  run: number;
  run_id: string;
  status: string;
  metrics: string;
  reason: string | null;
}

/**
 * The campaigns the server ran, their runs (each a row of `runs`) and their events, in the
 * same SQLite database as the runs. Each write is its own statement: a campaign's events are few.
 */
export class CampaignStore {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      insert: db.prepare(
        `INSERT INTO campaigns (id, experiment_id, experiment_name, document, dir, status, started_at)
         VALUES (?, ?, ?, ?, ?, 'RUNNING', ?)`,
      ),
      get: db.prepare("SELECT * FROM campaigns WHERE id = ?"),
      list: db.prepare("SELECT * FROM campaigns WHERE experiment_id = ? ORDER BY started_at DESC, id"),
      listAll: db.prepare("SELECT * FROM campaigns ORDER BY started_at DESC, id"),
      running: db.prepare("SELECT * FROM campaigns WHERE status = 'RUNNING'"),
      setStatus: db.prepare("UPDATE campaigns SET status = ?, reason = ?, ended_at = ? WHERE id = ?"),
      upsertRun: db.prepare(
        `INSERT INTO campaign_runs (campaign_id, seq, point, run, run_id, status, metrics, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (campaign_id, seq) DO UPDATE SET status = excluded.status, metrics = excluded.metrics, reason = excluded.reason`,
      ),
      runs: db.prepare(
        "SELECT seq, point, run, run_id, status, metrics, reason FROM campaign_runs WHERE campaign_id = ? ORDER BY seq",
      ),
      stopRunning: db.prepare(
        "UPDATE campaign_runs SET status = 'stopped', reason = ? WHERE campaign_id = ? AND status = 'running'",
      ),
      insertEvent: db.prepare("INSERT INTO campaign_events (campaign_id, seq, event) VALUES (?, ?, ?)"),
      eventsAfter: db.prepare("SELECT event FROM campaign_events WHERE campaign_id = ? AND seq > ? ORDER BY seq"),
      lastSeq: db.prepare("SELECT MAX(seq) AS seq FROM campaign_events WHERE campaign_id = ?"),
    };
  }

  create(c: Omit<StoredCampaign, "status" | "reason" | "endedAt">): void {
    this.q.insert.run(c.campaignId, c.experimentId, c.experimentName, JSON.stringify(c.document), c.dir, c.startedAt);
  }

  get(campaignId: string): StoredCampaign | undefined {
    const r = this.q.get.get(campaignId) as CampaignRow | undefined;
    return r && toCampaign(r);
  }

  list(experimentId?: string): StoredCampaign[] {
    const rows = (experimentId === undefined ? this.q.listAll.all() : this.q.list.all(experimentId)) as CampaignRow[];
    return rows.map(toCampaign);
  }

  /** Campaigns that were running when the server last stopped (none after a clean exit). */
  running(): StoredCampaign[] {
    return (this.q.running.all() as CampaignRow[]).map(toCampaign);
  }

  setStatus(campaignId: string, status: CampaignStatus, reason: string | undefined, endedAt: number | undefined): void {
    this.q.setStatus.run(status, reason ?? null, endedAt ?? null, campaignId);
  }

  /** Records a run as it starts, then again as it ends (same `seq`). */
  saveRun(campaignId: string, r: StoredCampaignRun): void {
    this.q.upsertRun.run(campaignId, r.seq, r.point, r.run, r.runId, r.status, JSON.stringify(r.metrics), r.reason ?? null);
  }

  /** The campaign's runs in the order they started; `parameters` are filled in by the caller. */
  runs(campaignId: string): Array<Omit<StoredCampaignRun, "parameters">> {
    return (this.q.runs.all(campaignId) as CampaignRunDbRow[]).map((r) => ({
      seq: r.seq,
      point: r.point,
      run: r.run,
      runId: r.run_id,
      status: r.status as CampaignRunInfo["status"],
      metrics: JSON.parse(r.metrics) as Record<string, number | null>,
      ...(r.reason !== null ? { reason: r.reason } : {}),
    }));
  }

  /** Runs still marked running become stopped (a crash or a stop ended them before they ended). */
  stopRunningRuns(campaignId: string, reason: string): void {
    this.q.stopRunning.run(reason, campaignId);
  }

  appendEvent(campaignId: string, e: CampaignEvent): void {
    this.q.insertEvent.run(campaignId, e.seq, JSON.stringify(e));
  }

  eventsAfter(campaignId: string, seq: number): CampaignEvent[] {
    return (this.q.eventsAfter.all(campaignId, seq) as Array<{ event: string }>).map((r) => JSON.parse(r.event) as CampaignEvent);
  }

  lastSeq(campaignId: string): number {
    return (this.q.lastSeq.get(campaignId) as { seq: number | null }).seq ?? 0;
  }
}

function toCampaign(r: CampaignRow): StoredCampaign {
  return {
    campaignId: r.id,
    experimentId: r.experiment_id,
    experimentName: r.experiment_name,
    document: JSON.parse(r.document) as ExperimentDocument,
    dir: r.dir,
    status: r.status as CampaignStatus,
    ...(r.reason !== null ? { reason: r.reason } : {}),
    startedAt: r.started_at,
    ...(r.ended_at !== null ? { endedAt: r.ended_at } : {}),
  };
}
