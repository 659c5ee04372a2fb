import Database from "better-sqlite3";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { migrate, openPostgres, wrapSqlite, type Database as StoreDatabase } from "../src/store/db.js";
import { Store } from "../src/store/store.js";
import { freshPostgresDatabase, testDatabase } from "./helpers.js";

const doc = (name: string) =>
  JSON.stringify({ format: "nepi-experiment@1", name, resources: [], connections: [], conditions: [] });

/** An empty database of the kind the suites run against. */
async function emptyDatabase(): Promise<StoreDatabase> {
  return testDatabase === "postgres" ? openPostgres(await freshPostgresDatabase()) : wrapSqlite(new Database(":memory:"));
}

describe(`store migrations (${testDatabase})`, () => {
  it("marks as examples the experiments a store seeded before the example column existed", async () => {
    const database = await emptyDatabase();
    try {
      // A store as the first release left it: seeded at t=2000, one experiment saved later by a user.
      await migrate(database, 1);
      const { db } = database;
      await sql`INSERT INTO experiments (id, name, document, created_at, updated_at) VALUES ('ex', 'seeded', ${doc("seeded")}, 1000, 5000)`.execute(
        db,
      );
      await sql`INSERT INTO experiments (id, name, document, created_at, updated_at) VALUES ('mine', 'mine', ${doc("mine")}, 3000, 3000)`.execute(
        db,
      );
      await sql`INSERT INTO meta (key, value) VALUES ('seeded', ${new Date(2000).toISOString()})`.execute(db);

      await migrate(database);

      const byId = Object.fromEntries((await new Store(database).listExperiments()).map((e) => [e.id, e.example]));
      expect(byId).toEqual({ ex: true, mine: false });
    } finally {
      await database.close();
    }
  });

  it("marks nothing in a store that was never seeded", async () => {
    const database = await emptyDatabase();
    try {
      await migrate(database, 1);
      await sql`INSERT INTO experiments (id, name, document, created_at, updated_at) VALUES ('a', 'a', ${doc("a")}, 1, 1)`.execute(
        database.db,
      );
      await migrate(database);
      expect((await new Store(database).listExperiments()).map((e) => e.example)).toEqual([false]);
    } finally {
      await database.close();
    }
  });

  it("migrates a store once, however many processes open it at the same time", async () => {
    const database = await emptyDatabase();
    try {
      // Several servers and workers starting together on one PostgreSQL (on SQLite: one process, in turn).
      await Promise.all([migrate(database), migrate(database), migrate(database)]);
      const store = new Store(database);
      expect(await store.saveExperiment(JSON.parse(doc("x")), "x")).toBe("x");
      expect(await store.experimentCount()).toBe(1);
    } finally {
      await database.close();
    }
  });
});
