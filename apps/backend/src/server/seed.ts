import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ExperimentDocumentSchema, formatPath, type ExperimentDocument } from "@nepi/core";
import type { Store } from "../store/store.js";
import type { Logger } from "./log.js";

/**
 * On the first start of a store, saves every valid `*.json` experiment of `dir` so a new user
 * has designs to deploy at once. An invalid file is skipped with a log line saying why.
 */
export async function seedExamples(store: Store, dir: string, log: Logger): Promise<void> {
  if ((await store.getMeta("seeded")) !== undefined) return;
  // API servers sharing a database may start together: one of them seeds.
  if (!(await store.claimMeta("seeding", new Date().toISOString()))) return;
  let files: string[] = [];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort();
  } catch {
    log(`no examples to seed (${dir} is not readable)`);
  }
  let count = 0;
  for (const file of files) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(join(dir, file), "utf8"));
    } catch (err) {
      log(`example ${file} skipped: not JSON (${(err as Error).message})`);
      continue;
    }
    const result = ExperimentDocumentSchema.safeParse(parsed);
    if (!result.success) {
      const why = result.error.issues.map((i) => `${formatPath(i.path) || "document"}: ${i.message}`).join("; ");
      log(`example ${file} skipped: ${why}`);
      continue;
    }
    await store.saveExperiment(result.data as ExperimentDocument, undefined, { example: true });
    count++;
  }
  await store.setMeta("seeded", new Date().toISOString());
  if (count) log(`seeded ${count} example experiment(s) from ${dir}`);
}
