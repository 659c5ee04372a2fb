import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { ExperimentDocumentSchema } from "../model/document.js";
import { NepiError } from "../model/errors.js";
import { validateDocument } from "../engine/validate.js";
import { campaignPoints, documentAtPoint, parameterKey, type CampaignPoint } from "./points.js";
import { readRuns, writeRuns, writeSummary, type CampaignRunRow, type CampaignSummaryRow } from "./results-files.js";
import { runOnce } from "./run-once.js";
import { converged, sampleStats, type SampleStats } from "./stats.js";

export interface CampaignOptions {
  /** `<results>`: the campaign goes to `<results>/<experiment>/<campaignId>/`. */
  resultsDir?: string;
  /** Continue the campaign in this directory: only the runs it lacks are run. */
  resume?: string;
  /** Stop (as if killed) once this many runs ended in this call. */
  stopAfter?: number;
  /** Aborting stops the current run, releases it, and records nothing of it. */
  signal?: AbortSignal;
  /** The campaign's directory and points, before the first run. */
  onStart?: (info: { dir: string; points: number; resumedRuns: number }) => void;
  /** Each run's row as soon as it is written, with the point's current statistics of the tracked metric. */
  onRun?: (row: CampaignRunRow, progress: { metric?: string; stats?: SampleStats; points: number }) => void;
}

export interface CampaignResult {
  dir: string;
  runs: CampaignRunRow[];
  summary: CampaignSummaryRow[];
  /** Every point got all its runs (false when stopped or interrupted). */
  complete: boolean;
}

const DEFAULT_CONFIDENCE = 0.95;

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

const safeName = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80) || "experiment";

/**
 * Runs a document's campaign: for each point of the sweep, runs one after another (a fresh
 * controller each, released before the next), until `count` runs, or until the repetitions'
 * metric converges (at least `min` successful runs, at most `max` runs). Each run's row is
 * written durably as it ends, so a killed campaign resumes with what is missing.
 */
export async function runCampaign(input: unknown, options: CampaignOptions = {}): Promise<CampaignResult> {
  const problems = validateDocument(input).filter((p) => p.severity !== "warning");
  if (problems.length > 0)
    throw new NepiError(
      "INVALID_DOCUMENT",
      `invalid experiment document:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join("\n")}`,
      problems[0]!.path,
      problems,
    );
  // Parsed: the defaults (no parameters, no traces…) filled in.
  const doc = ExperimentDocumentSchema.parse(input);
  const campaign = doc.campaign;
  if (!campaign) throw new NepiError("INVALID_DOCUMENT", "the document has no campaign", "campaign");

  const dir = resolve(options.resume ?? join(options.resultsDir ?? "results", safeName(doc.name), `campaign-${stamp()}`));
  const docText = JSON.stringify(doc, null, 1) + "\n";
  // Resuming with another design would mix two campaigns' runs in one table.
  if (options.resume !== undefined) {
    const before = await readFile(join(dir, "document.json"), "utf8").catch(() => undefined);
    if (before === undefined) throw new NepiError("BAD_VALUE", `${dir} is not a campaign directory (no document.json)`, "resume");
    if (before !== docText)
      throw new NepiError(
        "BAD_VALUE",
        `${dir} holds a campaign of another document: resume it with the document it was started with`,
        "resume",
      );
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "document.json"), docText);
  const parameters = campaign.parameters.map(parameterKey);
  const metricNames = campaign.metrics.map((m) => m.name);
  const reps = campaign.repetitions;
  const confidence = "confidence" in reps ? reps.confidence : DEFAULT_CONFIDENCE;
  const tracked = "metric" in reps ? reps.metric : metricNames[0];
  const points = campaignPoints(campaign);
  const rows = await readRuns(dir);
  options.onStart?.({ dir, points: points.length, resumedRuns: rows.length });

  const okValues = (point: number, metric: string) =>
    rows
      .filter((r) => r.point === point && r.status === "ok" && typeof r.metrics[metric] === "number")
      .map((r) => r.metrics[metric] as number);
  const needsMore = (p: CampaignPoint): number | undefined => {
    const done = rows.filter((r) => r.point === p.point).map((r) => r.run);
    const next = done.length === 0 ? 1 : Math.max(...done) + 1;
    if ("count" in reps) {
      for (let run = 1; run <= reps.count; run++) if (!done.includes(run)) return run;
      return undefined;
    }
    if (done.length >= reps.max) return undefined;
    const xs = okValues(p.point, reps.metric);
    if (xs.length >= reps.min && converged(xs, reps.relError, reps.confidence)) return undefined;
    return next;
  };
  const summarize = (): CampaignSummaryRow[] =>
    points.flatMap((p) =>
      metricNames.map((metric) => ({
        point: p.point,
        parameters: p.values,
        metric,
        failed: rows.filter((r) => r.point === p.point && r.status === "failed").length,
        ...sampleStats(okValues(p.point, metric), confidence),
      })),
    );

  let ran = 0;
  let stopped = false;
  for (const p of points) {
    for (let run = needsMore(p); run !== undefined; run = needsMore(p)) {
      if (options.signal?.aborted || (options.stopAfter !== undefined && ran >= options.stopAfter)) {
        stopped = true;
        break;
      }
      const runId = `p${p.point}-r${run}`;
      const ids = { rootDir: dirname(dir), expId: basename(dir), runId };
      // A run killed half-way left a partial directory: it is run again from nothing.
      await rm(join(dir, runId), { recursive: true, force: true });
      const result = await runOnce(documentAtPoint(doc, campaign, p), campaign.metrics, ids, options.signal);
      if (result.status === "interrupted") {
        stopped = true;
        break;
      }
      const row: CampaignRunRow = {
        run,
        point: p.point,
        runId,
        parameters: p.values,
        metrics: result.metrics,
        status: result.status,
      };
      if (result.reason !== undefined) row.reason = result.reason;
      rows.push(row);
      ran++;
      await writeRuns(dir, rows, parameters, metricNames);
      await writeSummary(dir, summarize(), parameters);
      options.onRun?.(row, {
        points: points.length,
        ...(tracked !== undefined ? { metric: tracked, stats: sampleStats(okValues(p.point, tracked), confidence) } : {}),
      });
    }
    if (stopped) break;
  }
  const summary = summarize();
  await writeRuns(dir, rows, parameters, metricNames);
  await writeSummary(dir, summary, parameters);
  return { dir, runs: rows, summary, complete: !stopped };
}
