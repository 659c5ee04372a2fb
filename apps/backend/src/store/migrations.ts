import { sql, type CreateTableBuilder, type Kysely } from "kysely";
import type { Dialect } from "./db.js";

/**
 * A schema change for both databases: Kysely's schema builder (portable types: `bigint` for
 * millisecond times, `double precision` for fractional ones), or SQL that suits both.
 */
export type Migration = string | ((db: Kysely<unknown>, dialect: Dialect) => Promise<void>);

/**
 * Schema migrations, applied in order; SQLite's `PRAGMA user_version` (PostgreSQL's
 * `schema_version` table) records how many ran. Never edit a released migration: append a new one.
 */
export const MIGRATIONS: Migration[] = [
  async (db, dialect) => {
    // SQLite keeps these tables in their primary key's order (no rowid).
    const clustered = <T extends string, C extends string>(b: CreateTableBuilder<T, C>) =>
      dialect === "sqlite" ? b.modifyEnd(sql`WITHOUT ROWID`) : b;
    await db.schema
      .createTable("experiments")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("document", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("runs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("experiment_id", "text", (c) => c.notNull())
      .addColumn("experiment_name", "text", (c) => c.notNull())
      .addColumn("document", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("reason", "text")
      .addColumn("started_at", "bigint", (c) => c.notNull())
      .addColumn("ended_at", "bigint")
      .addColumn("released_at", "bigint")
      .addColumn("leftovers", "text")
      .execute();
    await db.schema.createIndex("runs_by_experiment").on("runs").columns(["experiment_id", "started_at"]).execute();
    await db.schema.createIndex("runs_by_status").on("runs").column("status").execute();
    await clustered(
      db.schema
        .createTable("run_events")
        .addColumn("run_id", "text", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("guid", "integer")
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("previous", "text")
        .addColumn("at", "double precision", (c) => c.notNull())
        .addColumn("reason", "text")
        .addPrimaryKeyConstraint("run_events_pk", ["run_id", "seq"]),
    ).execute();
    await clustered(
      db.schema
        .createTable("run_traces")
        .addColumn("run_id", "text", (c) => c.notNull())
        .addColumn("guid", "integer", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("path", "text", (c) => c.notNull())
        .addColumn("size", "bigint", (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint("run_traces_pk", ["run_id", "guid", "name"]),
    ).execute();
    await db.schema
      .createTable("meta")
      .addColumn("key", "text", (c) => c.primaryKey())
      .addColumn("value", "text", (c) => c.notNull())
      .execute();
  },
  async (db) => {
    // Experiments seeded from the examples directory: the Open dialog lists them apart. The ones
    // a store seeded before this column existed are those created by then (seeding runs before
    // the server takes requests).
    await db.schema
      .alterTable("experiments")
      .addColumn("example", "integer", (c) => c.notNull().defaultTo(0))
      .execute();
    const { rows } = await sql<{ value: string }>`SELECT value FROM meta WHERE key = 'seeded'`.execute(db);
    const seeded = rows[0] && Date.parse(rows[0].value);
    if (seeded) await sql`UPDATE experiments SET example = 1 WHERE created_at <= ${seeded}`.execute(db);
  },
  // JSON, on the status a release ends on: the enabled traces it could not collect, and why.
  (db) => db.schema.alterTable("run_events").addColumn("missing_traces", "text").execute(),
  // The attempt a transition belongs to, from the second on (retries, "Retry failed").
  (db) => db.schema.alterTable("run_events").addColumn("attempt", "integer").execute(),
  // JSON, on a 'gate' event: a condition's delay started (state 'armed') or it opened ('opened').
  (db) => db.schema.alterTable("run_events").addColumn("gate", "text").execute(),
  async (db, dialect) => {
    // Campaigns (a document's sweep and repetitions) run by the server; each of their runs is a
    // normal run (runs.id), listed in order (seq) as it started, with how it ended.
    const clustered = <T extends string, C extends string>(b: CreateTableBuilder<T, C>) =>
      dialect === "sqlite" ? b.modifyEnd(sql`WITHOUT ROWID`) : b;
    await db.schema
      .createTable("campaigns")
      .addColumn("id", "text", (c) => c.primaryKey())
      // The saved design, or the campaign's own id for a document.
      .addColumn("experiment_id", "text", (c) => c.notNull())
      .addColumn("experiment_name", "text", (c) => c.notNull())
      // The document with its campaign, as started.
      .addColumn("document", "text", (c) => c.notNull())
      // Where runs.csv and summary.csv are written.
      .addColumn("dir", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("reason", "text")
      .addColumn("started_at", "bigint", (c) => c.notNull())
      .addColumn("ended_at", "bigint")
      .execute();
    await db.schema.createIndex("campaigns_by_experiment").on("campaigns").columns(["experiment_id", "started_at"]).execute();
    await clustered(
      db.schema
        .createTable("campaign_runs")
        .addColumn("campaign_id", "text", (c) => c.notNull().references("campaigns.id").onDelete("cascade"))
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("point", "integer", (c) => c.notNull())
        .addColumn("run", "integer", (c) => c.notNull())
        .addColumn("run_id", "text", (c) => c.notNull().references("runs.id"))
        // 'running' | 'ok' | 'failed' | 'stopped'
        .addColumn("status", "text", (c) => c.notNull())
        // JSON: metric name → value (null when missing).
        .addColumn("metrics", "text", (c) => c.notNull())
        .addColumn("reason", "text")
        .addPrimaryKeyConstraint("campaign_runs_pk", ["campaign_id", "seq"]),
    ).execute();
    await db.schema.createIndex("campaign_runs_by_run").on("campaign_runs").column("run_id").unique().execute();
    // Every event of a campaign (JSON), for subscribers resuming after the last one they saw.
    await clustered(
      db.schema
        .createTable("campaign_events")
        .addColumn("campaign_id", "text", (c) => c.notNull().references("campaigns.id").onDelete("cascade"))
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("event", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("campaign_events_pk", ["campaign_id", "seq"]),
    ).execute();
  },
  async (db) => {
    // Workers (nepi worker over PostgreSQL): each heartbeats; a run records the worker holding it
    // (null: the in-process worker of `npm start`, or not taken yet).
    await db.schema.alterTable("runs").addColumn("worker_id", "text").execute();
    await db.schema
      .createTable("workers")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("host", "text", (c) => c.notNull())
      .addColumn("pid", "integer", (c) => c.notNull())
      .addColumn("heartbeat_at", "bigint", (c) => c.notNull())
      .execute();
  },
  // The `nepi worker` running a campaign (null: the in-process runner, or not taken yet).
  (db) => db.schema.alterTable("campaigns").addColumn("worker_id", "text").execute(),
];
