import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import type PgBoss from "pg-boss";
import type { CampaignEvent } from "@nepi/core";
import type { CampaignsElsewhere } from "../campaigns/campaign-manager.js";
import type { CampaignStore } from "../store/campaign-store.js";
import { CHANNELS, type Notifications } from "./notifications.js";
import { PendingReplies } from "./pending-replies.js";
import { CAMPAIGN_QUEUE, CampaignNoticeSchema, ControlReplySchema, type CampaignControl, type CampaignJob } from "./protocol.js";

/** How long an API server waits for the worker running a campaign to stop it (its run is released first). */
const STOP_TIMEOUT_MS = 120_000;

interface Watcher {
  after: number;
  onEvent: (e: CampaignEvent) => void;
  onClosed: () => void;
  reading: boolean;
  again: boolean;
  /** Whether the campaign may be over: read its status too (first read, or a closing notice). */
  check: boolean;
  done: boolean;
}

/**
 * An API server's side of the campaigns run by workers: it queues them (pg-boss, to start or
 * to resume), asks the worker running one to stop it (NOTIFY, answered by NOTIFY), and
 * follows their events — a worker's notice wakes each watcher, which reads what was stored
 * after the last event it delivered, as `RemoteRuns` does for runs.
 */
export class RemoteCampaigns implements CampaignsElsewhere {
  private readonly replies = new PendingReplies();
  private readonly watchers = new Map<string, Set<Watcher>>();

  constructor(
    private readonly campaigns: CampaignStore,
    private readonly notifications: Notifications,
    private readonly boss: PgBoss,
  ) {
    notifications.on(CHANNELS.campaignEvents, (payload) => {
      const notice = CampaignNoticeSchema.safeParse(payload);
      if (!notice.success) return;
      for (const id of notice.data.campaignIds)
        for (const w of this.watchers.get(id) ?? []) this.read(id, w, notice.data.closed === true);
    });
    notifications.on(CHANNELS.reply, (payload) => {
      // Replies about runs are RemoteRuns' (other ids): settle ignores them.
      const reply = ControlReplySchema.safeParse(payload);
      if (reply.success) this.replies.settle(reply.data);
    });
  }

  async dispatch(campaignId: string, resume: boolean): Promise<void> {
    const job: CampaignJob = { campaignId, resume };
    await this.boss.send(CAMPAIGN_QUEUE, job);
    await this.notifications.notify(CHANNELS.jobs, {});
  }

  async stop(campaignId: string): Promise<void> {
    if ((await this.campaigns.workerOf(campaignId)) === null)
      throw new TRPCError({
        code: "CONFLICT",
        message: `campaign "${campaignId}" is waiting for a worker: try again once its first run is under way`,
      });
    const request: CampaignControl = { id: randomUUID(), campaignId, action: "stop" };
    const answer = this.replies.wait(request.id, STOP_TIMEOUT_MS, `no worker answered for campaign "${campaignId}" (stop)`);
    await this.notifications.notify(CHANNELS.campaignControl, request);
    await answer;
  }

  watch(campaignId: string, after: number, onEvent: (e: CampaignEvent) => void, onClosed: () => void): () => void {
    const w: Watcher = { after, onEvent, onClosed, reading: false, again: false, check: true, done: false };
    let set = this.watchers.get(campaignId);
    if (!set) this.watchers.set(campaignId, (set = new Set()));
    set.add(w);
    // What was stored between the caller's read and now (no notice will say so).
    this.read(campaignId, w, true);
    return () => {
      w.done = true;
      set.delete(w);
      if (set.size === 0) this.watchers.delete(campaignId);
    };
  }

  /** Delivers what was stored after the watcher's last event; one read at a time per watcher. */
  private read(campaignId: string, w: Watcher, check: boolean): void {
    if (check) w.check = true;
    if (w.reading) {
      w.again = true;
      return;
    }
    w.reading = true;
    void (async () => {
      try {
        do {
          w.again = false;
          const checking = w.check;
          w.check = false;
          // Read before the events: those of its end are delivered (stored with its status).
          const c = checking ? await this.campaigns.get(campaignId) : undefined;
          for (const e of await this.campaigns.eventsAfter(campaignId, w.after)) {
            if (w.done) return;
            w.after = e.seq;
            w.onEvent(e);
          }
          if (checking && (!c || c.status !== "RUNNING")) {
            if (!w.done) w.onClosed();
            return;
          }
        } while (w.again && !w.done);
      } catch {
        // The database is unreachable: end the stream; the subscriber resumes from its last event id.
        if (!w.done) w.onClosed();
      } finally {
        w.reading = false;
      }
    })();
  }

  /** Refuses what still waits for an answer (the server is closing). */
  close(): void {
    this.replies.rejectAll();
  }
}
