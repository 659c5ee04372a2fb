import type { EventEmitter } from "node:events";
import type PgBoss from "pg-boss";
import { CampaignManager } from "../campaigns/campaign-manager.js";
import type { ActiveRun } from "../runs/active-run.js";
import type { RunManager } from "../runs/run-manager.js";
import type { Logger } from "../server/log.js";
import type { Database } from "../store/db.js";
import { CampaignStore } from "../store/campaign-store.js";
import type { Store } from "../store/store.js";
import { CHANNELS, type Notifications } from "./notifications.js";
import { CAMPAIGN_QUEUE, CampaignControlSchema, CampaignJobSchema, type ControlReply } from "./protocol.js";

export interface WorkerCampaignsOptions {
  me: { id: string };
  database: Database;
  store: Store;
  runs: RunManager;
  rootDir: string;
  boss: PgBoss;
  notifications: Notifications;
  log: Logger;
  /** Tells the API servers of a run's events, as the worker's other runs (the campaign's runs are its). */
  announceRun(run: ActiveRun): void;
  /** A notice under way: the worker waits for it before it closes. */
  track(sent: Promise<void>): void;
  closingDown(): boolean;
}

export interface WorkerCampaigns {
  /** The campaign queue's worker id (woken when a job is queued). */
  workId: string;
  /** Marks the RUNNING campaigns of a dead worker INTERRUPTED (its runs are cleaned up with its others). */
  recoverDead(dead: { id: string; host: string; pid: number }): Promise<void>;
  /** Whether the dead worker still holds campaigns nobody took over. */
  holds(workerId: string): Promise<boolean>;
  /** Takes no more campaigns; those it runs release their run under way and end INTERRUPTED. */
  close(): Promise<void>;
}

/**
 * A worker's campaigns: it takes campaign jobs (to start or resume), runs them with the same
 * campaign manager as one process — each repetition a run held by this worker — announces
 * their events (NOTIFY), and stops one when an API server asks.
 */
export async function workerCampaigns(o: WorkerCampaignsOptions): Promise<WorkerCampaigns> {
  const { me, boss, notifications, log } = o;
  const campaignStore = new CampaignStore(o.database);
  const campaigns = new CampaignManager(campaignStore, o.store, o.runs, o.rootDir, log, {
    worker: { id: me.id, announce: o.announceRun },
  });
  const notice = (campaignId: string, closed = false): Promise<void> => {
    const sent = notifications
      .notify(CHANNELS.campaignEvents, { campaignIds: [campaignId], ...(closed ? { closed } : {}) })
      .catch((err: Error) => {
        log(`notifying the API servers of campaign ${campaignId} failed: ${err.message}`, { level: "error" });
      });
    o.track(sent);
    return sent;
  };

  const take = async (data: unknown) => {
    const job = CampaignJobSchema.parse(data);
    // Failed, the job goes back to the queue: another worker takes it.
    if (o.closingDown()) throw new Error(`worker ${me.id} is shutting down: campaign ${job.campaignId} handed back`);
    if (!(await campaignStore.moveCampaign(job.campaignId, null, me.id))) return; // stopped or taken meanwhile
    let events: EventEmitter | undefined;
    try {
      events = await campaigns.adopt(job.campaignId, job.resume);
    } catch (err) {
      await campaignStore.moveCampaign(job.campaignId, me.id, null);
      throw err;
    }
    if (!events) return;
    events.on("event", () => void notice(job.campaignId));
    events.once("closed", () => void notice(job.campaignId, true));
    // What it recorded before this listened (a resume's RUNNING).
    void notice(job.campaignId);
    log(`campaign ${job.campaignId} taken by worker ${me.id}`, { campaignId: job.campaignId, worker: me.id });
  };
  const workId = await boss.work(CAMPAIGN_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, async ([job]) => {
    if (job) await take(job.data);
  });

  notifications.on(CHANNELS.campaignControl, (payload) => {
    const parsed = CampaignControlSchema.safeParse(payload);
    // Another worker's campaign: it answers.
    if (!parsed.success || !campaigns.runsHere(parsed.data.campaignId)) return;
    const request = parsed.data;
    void campaigns
      .stop(request.campaignId)
      .then(
        () => notifications.notify(CHANNELS.reply, { id: request.id, ok: true } satisfies ControlReply),
        (err: Error) =>
          notifications.notify(CHANNELS.reply, {
            id: request.id,
            ok: false,
            code: "CONFLICT",
            message: err.message,
          } satisfies ControlReply),
      )
      .catch((err: Error) => log(`answering stop of campaign ${request.campaignId} failed: ${err.message}`, { level: "error" }));
  });

  return {
    workId,
    async recoverDead(dead) {
      for (const campaignId of await campaignStore.heldBy(dead.id)) {
        // Of the workers noticing at once, the one that takes the campaign over interrupts it.
        if (!(await campaignStore.moveCampaign(campaignId, dead.id, me.id))) continue;
        await campaigns.interrupt(
          campaignId,
          `worker ${dead.id} (${dead.host}, pid ${dead.pid}) stopped while the campaign was running; campaigns.resume continues it`,
        );
        await notice(campaignId, true);
      }
    },
    async holds(workerId) {
      return (await campaignStore.heldBy(workerId)).length > 0;
    },
    async close() {
      await boss.offWork(CAMPAIGN_QUEUE);
      await campaigns.shutdown("its worker shut down");
    },
  };
}
