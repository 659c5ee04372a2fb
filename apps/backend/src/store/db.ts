import Database from "better-sqlite3";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { MIGRATIONS } from "./migrations.js";

export type Db = Database.Database;

/**
 * Opens (creating if needed) the store in `<dataDir>/nepi.db` and brings its schema up to date.
 * WAL keeps readers and the writer apart; `synchronous = NORMAL` in WAL mode still never
 * corrupts the database on a crash, and a committed transaction survives a process kill.
 */
export function openDb(dataDir: string): Db {
  const file = join(dataDir, "nepi.db");
  keepPrivate(dataDir, file);
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return db;
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

/** Applies, in order and each in its own transaction, the migrations newer than `user_version`. */
export function migrate(db: Db): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
