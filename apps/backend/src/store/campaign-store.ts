import type { CampaignEvent, CampaignRunInfo, CampaignStatus, ExperimentDocument } from "@nepi/core";
import type { Kysely, Selectable } from "kysely";
import type { Database } from "./db.js";
import type { Tables } from "./tables.js";

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

type CampaignRow = Selectable<Tables["campaigns"]>;

/**
 * The campaigns the server ran, their runs (each a row of `runs`) and their events, in the
 * same database as the runs (SQLite or PostgreSQL, through the store's query layer). Each
 * write is its own statement: a campaign's events are few.
 */
export class CampaignStore {
  private readonly db: Kysely<Tables>;

  constructor(database: Database) {
    this.db = database.db;
  }

  async create(c: Omit<StoredCampaign, "status" | "reason" | "endedAt">): Promise<void> {
    await this.db
      .insertInto("campaigns")
      .values({
        id: c.campaignId,
        experiment_id: c.experimentId,
        experiment_name: c.experimentName,
        document: JSON.stringify(c.document),
        dir: c.dir,
        status: "RUNNING",
        reason: null,
        started_at: c.startedAt,
        ended_at: null,
      })
      .execute();
  }

  async get(campaignId: string): Promise<StoredCampaign | undefined> {
    const r = await this.db.selectFrom("campaigns").selectAll().where("id", "=", campaignId).executeTakeFirst();
    return r && toCampaign(r);
  }

  async list(experimentId?: string): Promise<StoredCampaign[]> {
    let q = this.db.selectFrom("campaigns").selectAll();
    if (experimentId !== undefined) q = q.where("experiment_id", "=", experimentId);
    return (await q.orderBy("started_at", "desc").orderBy("id").execute()).map(toCampaign);
  }

  /** Campaigns that were running when the server last stopped (none after a clean exit). */
  async running(): Promise<StoredCampaign[]> {
    return (await this.db.selectFrom("campaigns").selectAll().where("status", "=", "RUNNING").execute()).map(toCampaign);
  }

  async setStatus(
    campaignId: string,
    status: CampaignStatus,
    reason: string | undefined,
    endedAt: number | undefined,
  ): Promise<void> {
    await this.db
      .updateTable("campaigns")
      .set({ status, reason: reason ?? null, ended_at: endedAt ?? null })
      .where("id", "=", campaignId)
      .execute();
  }

  /**
   * The campaign ends (or is interrupted) as `event` says, in one transaction: its runs still
   * marked running become stopped, its status is set and the event stored — a reader sees
   * the status with the event that announced it.
   */
  async end(campaignId: string, event: Extract<CampaignEvent, { type: "status" }>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable("campaign_runs")
        .set({ status: "stopped", reason: event.reason ?? "stopped" })
        .where("campaign_id", "=", campaignId)
        .where("status", "=", "running")
        .execute();
      await trx
        .updateTable("campaigns")
        .set({ status: event.status, reason: event.reason ?? null, ended_at: event.at })
        .where("id", "=", campaignId)
        .execute();
      await trx
        .insertInto("campaign_events")
        .values({ campaign_id: campaignId, seq: event.seq, event: JSON.stringify(event) })
        .execute();
    });
  }

  /**
   * Hands a RUNNING campaign to `to` (null: nobody) if `from` holds it (null: nobody yet); true
   * when it did. Of several workers trying at once, one succeeds.
   */
  async moveCampaign(campaignId: string, from: string | null, to: string | null): Promise<boolean> {
    const { numUpdatedRows } = await this.db
      .updateTable("campaigns")
      .set({ worker_id: to })
      .where("id", "=", campaignId)
      .where("status", "=", "RUNNING")
      .where("worker_id", from === null ? "is" : "=", from)
      .executeTakeFirst();
    return numUpdatedRows === 1n;
  }

  /** The worker holding the campaign (null: none yet, or the in-process runner; undefined: no such campaign). */
  async workerOf(campaignId: string): Promise<string | null | undefined> {
    const r = await this.db.selectFrom("campaigns").select("worker_id").where("id", "=", campaignId).executeTakeFirst();
    return r?.worker_id;
  }

  /** The RUNNING campaigns `workerId` holds. */
  async heldBy(workerId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom("campaigns")
      .select("id")
      .where("status", "=", "RUNNING")
      .where("worker_id", "=", workerId)
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * A campaign that is not running any more (nor finished) runs again, held by nobody until a
   * worker takes it; false when it was running already (of two resumes at once, one succeeds).
   */
  async reopen(campaignId: string): Promise<boolean> {
    const { numUpdatedRows } = await this.db
      .updateTable("campaigns")
      .set({ status: "RUNNING", reason: null, ended_at: null, worker_id: null })
      .where("id", "=", campaignId)
      .where("status", "not in", ["RUNNING", "FINISHED", "FINISHED_WITH_FAILURES"])
      .executeTakeFirst();
    return numUpdatedRows === 1n;
  }

  /** Records a run as it starts, then again as it ends (same `seq`). */
  async saveRun(campaignId: string, r: StoredCampaignRun): Promise<void> {
    const metrics = JSON.stringify(r.metrics);
    const reason = r.reason ?? null;
    await this.db
      .insertInto("campaign_runs")
      .values({
        campaign_id: campaignId,
        seq: r.seq,
        point: r.point,
        run: r.run,
        run_id: r.runId,
        status: r.status,
        metrics,
        reason,
      })
      .onConflict((oc) => oc.columns(["campaign_id", "seq"]).doUpdateSet({ status: r.status, metrics, reason }))
      .execute();
  }

  /** The campaign's runs in the order they started; `parameters` are filled in by the caller. */
  async runs(campaignId: string): Promise<Array<Omit<StoredCampaignRun, "parameters">>> {
    const rows = await this.db
      .selectFrom("campaign_runs")
      .select(["seq", "point", "run", "run_id", "status", "metrics", "reason"])
      .where("campaign_id", "=", campaignId)
      .orderBy("seq")
      .execute();
    return rows.map((r) => ({
      seq: r.seq,
      point: r.point,
      run: r.run,
      runId: r.run_id,
      status: r.status as CampaignRunInfo["status"],
      metrics: JSON.parse(r.metrics) as Record<string, number | null>,
      ...(r.reason !== null ? { reason: r.reason } : {}),
    }));
  }

  async appendEvent(campaignId: string, e: CampaignEvent): Promise<void> {
    await this.db
      .insertInto("campaign_events")
      .values({ campaign_id: campaignId, seq: e.seq, event: JSON.stringify(e) })
      .execute();
  }

  async eventsAfter(campaignId: string, seq: number): Promise<CampaignEvent[]> {
    const rows = await this.db
      .selectFrom("campaign_events")
      .select("event")
      .where("campaign_id", "=", campaignId)
      .where("seq", ">", seq)
      .orderBy("seq")
      .execute();
    return rows.map((r) => JSON.parse(r.event) as CampaignEvent);
  }

  async lastSeq(campaignId: string): Promise<number> {
    const r = await this.db
      .selectFrom("campaign_events")
      .select((eb) => eb.fn.max("seq").as("seq"))
      .where("campaign_id", "=", campaignId)
      .executeTakeFirst();
    return r?.seq ?? 0;
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
