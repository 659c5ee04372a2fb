import { sql, type Kysely } from "kysely";
import type PgBoss from "pg-boss";
import type { Tables } from "../store/tables.js";
import { CAMPAIGN_QUEUE, RUN_QUEUE } from "./protocol.js";

/** The advisory lock processes take turns on to create the queues (the store's migrations use 7017). */
const QUEUES_LOCK = 7018;

/**
 * Creates the deployment's queues (runs, campaigns) if they are missing. Processes starting
 * together take turns: pg-boss creating queues from two processes at once can deadlock.
 */
export async function createQueues(boss: PgBoss, db: Kysely<Tables>): Promise<void> {
  await db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(${QUEUES_LOCK})`.execute(conn);
    try {
      for (const name of [RUN_QUEUE, CAMPAIGN_QUEUE]) await boss.createQueue(name, { name, retryLimit: 3, retryDelay: 0 });
    } finally {
      await sql`SELECT pg_advisory_unlock(${QUEUES_LOCK})`.execute(conn);
    }
  });
}
