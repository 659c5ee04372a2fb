import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from "kysely";
import pg from "pg";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { MIGRATIONS, type Migration } from "./migrations.js";
import type { Tables } from "./tables.js";

export type Dialect = "sqlite" | "postgres";

/** The store's database, whichever it is: one query layer (Kysely) over SQLite or PostgreSQL. */
export interface Database {
  db: Kysely<Tables>;
  dialect: Dialect;
  close(): Promise<void>;
}

/**
 * Opens the store and brings its schema up to date: PostgreSQL when `url` is given
 * (postgres://…), else the embedded SQLite file `<dataDir>/nepi.db`.
 */
export async function openDatabase(o: { dataDir: string; url?: string | undefined }): Promise<Database> {
  const database = o.url ? openPostgres(o.url) : openSqlite(o.dataDir);
  try {
    await migrate(database);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

/**
 * The embedded store in `<dataDir>/nepi.db`. WAL keeps readers and the writer apart;
 * `synchronous = NORMAL` in WAL mode still never corrupts the database on a crash, and a
 * committed transaction survives a process kill.
 */
export function openSqlite(dataDir: string): Database {
  const file = join(dataDir, "nepi.db");
  keepPrivate(dataDir, file);
  const raw = new BetterSqlite3(file);
  raw.pragma("journal_mode = WAL");
  raw.pragma("synchronous = NORMAL");
  raw.pragma("foreign_keys = ON");
  raw.pragma("busy_timeout = 5000");
  return wrapSqlite(raw);
}

/** A better-sqlite3 handle as the store's database (tests open one in memory). */
export function wrapSqlite(raw: BetterSqlite3.Database): Database {
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: raw }) });
  return { db, dialect: "sqlite", close: () => db.destroy() };
}

/** PostgreSQL's int8 (COUNT, millisecond times) as a JavaScript number, not a string. */
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8 ? (v: string) => Number(v) : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
};

export function openPostgres(url: string): Database {
  const pool = new pg.Pool({ connectionString: url, max: 10, types });
  // An idle connection the server ends (restart, admin) must not crash the process: the pool drops it.
  pool.on("error", () => undefined);
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: "postgres", close: () => db.destroy() };
}

/**
 * The store holds SSH passwords: like ssh with ~/.ssh, the data directory is the user's alone
 * (0700) and so are the database's files (0600). SQLite creates the -wal and -shm files with
 * the database file's mode; files left by an older version are corrected.
 */
function keepPrivate(dataDir: string, file: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  closeSync(openSync(file, "a", 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}

/**
 * Applies, in order, the migrations the database has not had, up to `upTo` (all by default;
 * each in its own transaction on SQLite, all in one on PostgreSQL).
 */
export async function migrate(database: Database, upTo = MIGRATIONS.length): Promise<void> {
  if (database.dialect === "sqlite") {
    // The version is read inside each migration's transaction: two callers never apply one twice.
    for (let more = true; more;) {
      more = await database.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ user_version: number }>`PRAGMA user_version`.execute(trx);
        const v = rows[0]!.user_version;
        if (v >= upTo) return false;
        await apply(trx, "sqlite", MIGRATIONS[v]!);
        await sql.raw(`PRAGMA user_version = ${v + 1}`).execute(trx);
        return true;
      });
    }
    return;
  }
  // Several processes (API servers, workers) may start at once: one migrates, the others wait.
  await database.db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(7017)`.execute(trx);
    await sql`CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)`.execute(trx);
    const { rows } = await sql<{ version: number }>`SELECT version FROM schema_version`.execute(trx);
    if (rows.length === 0) await sql`INSERT INTO schema_version (version) VALUES (0)`.execute(trx);
    const current = rows[0]?.version ?? 0;
    for (let v = current; v < upTo; v++) await apply(trx, "postgres", MIGRATIONS[v]!);
    if (upTo > current) await sql`UPDATE schema_version SET version = ${upTo}`.execute(trx);
  });
}

async function apply(trx: Transaction<Tables>, dialect: Dialect, m: Migration): Promise<void> {
  // A migration written as SQL runs as is (statements separated by ";"): it must suit both databases.
  if (typeof m === "string") {
    for (const statement of m.split(/;\s*$/m).filter((s) => s.replace(/--.*$/gm, "").trim()))
      await sql.raw(statement).execute(trx);
  } else {
    await m(trx as unknown as Kysely<unknown>, dialect);
  }
}
