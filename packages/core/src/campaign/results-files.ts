import { open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import type { CampaignRunRow, CampaignSummaryRow } from "../model/campaign-run.js";

/** Writes a file whole or not at all (temp file, fsync, rename): a kill never leaves half a row. */
async function writeDurably(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

function csvCell(v: unknown): string {
  const s =
    v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))
      ? ""
      : typeof v === "object"
        ? JSON.stringify(v)
        : String(v as string | number | boolean);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(",")).join("\n") + "\n";
}

export async function writeRuns(dir: string, rows: CampaignRunRow[], parameters: string[], metrics: string[]): Promise<void> {
  await writeDurably(join(dir, "runs.json"), JSON.stringify(rows, null, 1) + "\n");
  await writeDurably(
    join(dir, "runs.csv"),
    toCsv(
      ["run", "point", ...parameters, ...metrics, "status", "reason"],
      rows.map((r) => [
        r.run,
        r.point,
        ...parameters.map((p) => r.parameters[p]),
        ...metrics.map((m) => r.metrics[m]),
        r.status,
        r.reason,
      ]),
    ),
  );
}

export async function writeSummary(dir: string, rows: CampaignSummaryRow[], parameters: string[]): Promise<void> {
  await writeDurably(join(dir, "summary.json"), JSON.stringify(rows, null, 1) + "\n");
  await writeDurably(
    join(dir, "summary.csv"),
    toCsv(
      ["point", ...parameters, "metric", "n", "failed", "mean", "std", "ciLow", "ciHigh"],
      rows.map((r) => [
        r.point,
        ...parameters.map((p) => r.parameters[p]),
        r.metric,
        r.n,
        r.failed,
        r.mean,
        r.std,
        r.ciLow,
        r.ciHigh,
      ]),
    ),
  );
}

/** The rows a previous (maybe killed) campaign wrote; none when it wrote nothing yet. */
export async function readRuns(dir: string): Promise<CampaignRunRow[]> {
  try {
    return JSON.parse(await readFile(join(dir, "runs.json"), "utf8")) as CampaignRunRow[];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
}
