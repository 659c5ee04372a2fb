import { sql, type Kysely } from "kysely";
import type { Tables } from "../store/tables.js";
import pg from "pg";
import type { Logger } from "../server/log.js";

/** What the processes of a PostgreSQL deployment tell each other (LISTEN/NOTIFY). */
export const CHANNELS = {
  /** A worker stored events of a run: `{ runId, closed? }`. */
  events: "nepi_events",
  /** An API server asks the worker holding a run to act on it: a ControlRequest. */
  control: "nepi_control",
  /** The worker's answer: a ControlReply. */
  reply: "nepi_reply",
  /** A worker stored events of a campaign: a CampaignNotice. */
  campaignEvents: "nepi_campaign_events",
  /** An API server asks the worker running a campaign to stop it: a CampaignControl. */
  campaignControl: "nepi_campaign_control",
  /** A run was queued: idle workers fetch it now rather than at their next poll. */
  jobs: "nepi_jobs",
} as const;
export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];

/**
 * LISTEN on one connection of its own (a pooled one would lose its registrations), NOTIFY
 * through the store's pool. A payload is JSON, well under PostgreSQL's 8,000 bytes.
 */
export class Notifications {
  private readonly handlers = new Map<string, Set<(payload: unknown) => void>>();

  private constructor(
    private readonly client: pg.Client,
    private readonly db: Kysely<Tables>,
    private readonly log: Logger,
  ) {
    client.on("notification", (m) => {
      let payload: unknown;
      try {
        payload = JSON.parse(m.payload ?? "null");
      } catch {
        return log(`ignored a malformed notification on ${m.channel}`, { level: "warn" });
      }
      for (const h of this.handlers.get(m.channel) ?? []) h(payload);
    });
    // Without its connection a process hears nothing more: it says so loudly (its supervisor restarts it).
    client.on("error", (err) => log(`the LISTEN connection failed: ${err.message}`, { level: "error", err }));
  }

  static async connect(url: string, db: Kysely<Tables>, log: Logger, channels: readonly Channel[]): Promise<Notifications> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const c of channels) await client.query(`LISTEN ${c}`);
    } catch (err) {
      await client.end();
      throw err;
    }
    return new Notifications(client, db, log);
  }

  on(channel: Channel, handler: (payload: unknown) => void): void {
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
  }

  async notify(channel: Channel, payload: unknown): Promise<void> {
    await sql`SELECT pg_notify(${channel}, ${JSON.stringify(payload)})`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
