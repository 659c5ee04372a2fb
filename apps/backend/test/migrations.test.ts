import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { migrate } from "../src/store/db.js";
import { MIGRATIONS } from "../src/store/migrations.js";
import { Store } from "../src/store/store.js";

const doc = (name: string) =>
  JSON.stringify({ format: "nepi-experiment@1", name, resources: [], connections: [], conditions: [] });

describe("store migrations", () => {
  it("marks as examples the experiments a store seeded before the example column existed", () => {
    const db = new Database(":memory:");
    try {
      // A store as the first release left it: seeded at t=2000, one experiment saved later by a user.
      db.exec(MIGRATIONS[0]!);
      db.pragma("user_version = 1");
      const insert = db.prepare("INSERT INTO experiments (id, name, document, created_at, updated_at) VALUES (?, ?, ?, ?, ?)");
      insert.run("ex", "seeded", doc("seeded"), 1000, 5000);
      insert.run("mine", "mine", doc("mine"), 3000, 3000);
      db.prepare("INSERT INTO meta (key, value) VALUES ('seeded', ?)").run(new Date(2000).toISOString());

      migrate(db);

      const byId = Object.fromEntries(new Store(db).listExperiments().map((e) => [e.id, e.example]));
      expect(byId).toEqual({ ex: true, mine: false });
    } finally {
      db.close();
    }
  });

  it("marks nothing in a store that was never seeded", () => {
    const db = new Database(":memory:");
    try {
      db.exec(MIGRATIONS[0]!);
      db.pragma("user_version = 1");
      db.prepare("INSERT INTO experiments (id, name, document, created_at, updated_at) VALUES ('a', 'a', ?, 1, 1)").run(doc("a"));
      migrate(db);
      expect(new Store(db).listExperiments().map((e) => e.example)).toEqual([false]);
    } finally {
      db.close();
    }
  });
});
