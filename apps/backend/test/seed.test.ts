import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../src/store/db.js";
import { Store } from "../src/store/store.js";
import { seedExamples } from "../src/server/seed.js";
import { freshPostgresDatabase, tempDir, testDatabase } from "./helpers.js";

const EXAMPLES = fileURLToPath(new URL("../../../examples", import.meta.url));

describe(`seeding the examples (${testDatabase})`, () => {
  it("seeds once when two servers sharing a store start at the same time", async () => {
    const dataDir = tempDir();
    const url = testDatabase === "postgres" ? await freshPostgresDatabase() : undefined;
    const stores = [new Store(await openDatabase({ dataDir, url })), new Store(await openDatabase({ dataDir, url }))];
    try {
      const logs: string[] = [];
      await Promise.all(stores.map((s) => seedExamples(s, EXAMPLES, (l) => logs.push(l))));
      const names = (await stores[0]!.listExperiments()).map((e) => e.name);
      expect(names.length).toBeGreaterThan(0);
      expect(new Set(names).size).toBe(names.length);
      expect(logs.filter((l) => l.startsWith("seeded "))).toHaveLength(1);
    } finally {
      for (const s of stores) await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
