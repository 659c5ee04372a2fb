import { access } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { Readable } from "node:stream";
import { create } from "tar";

/** What a run directory must hold to be a whole run: without them a bundle would be missing data. */
export const RUN_FILES = ["manifest.json", "timeline.json"];

/** The files of RUN_FILES that `dir` lacks (a live run, or not a run directory). */
export async function missingRunFiles(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (const f of RUN_FILES) await access(`${dir}/${f}`).catch(() => missing.push(f));
  return missing;
}

const packOptions = (dir: string) => ({ gzip: true as const, cwd: dirname(dir), portable: true });

/** Writes the run directory (design, manifest, timeline, traces) as one .tar.gz under a folder named after the run. */
export async function writeRunBundle(dir: string, file: string): Promise<void> {
  await create({ ...packOptions(dir), file }, [basename(dir)]);
}

/** The same archive as a stream (an HTTP download). */
export function runBundleStream(dir: string): Readable {
  return create(packOptions(dir), [basename(dir)]) as unknown as Readable;
}
