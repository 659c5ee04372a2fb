import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { ExperimentDocumentSchema, type ExperimentDocument } from "../model/document.js";
import { NepiError } from "../model/errors.js";
import { validateDocument } from "../engine/validate.js";
import type { Metric } from "../model/campaign.js";
import type { CampaignPoint, CampaignRunRow, CampaignSummaryRow, SampleStats } from "../model/campaign-run.js";
import { campaignConfidence, campaignSummary, nextRun, okValues, trackedMetric } from "./plan.js";
import { campaignPoints, documentAtPoint, parameterKey } from "./points.js";
import { readRuns, writeRuns, writeSummary } from "./results-files.js";
import { runOnce, type OneRunResult } from "./run-once.js";
import { sampleStats } from "./stats.js";

/** One run of the campaign at a point: what `runOne` is given. */
export interface CampaignJob {
  /** The document as run at this point (the swept attributes set). */
  document: ExperimentDocument;
  metrics: readonly Metric[];
  point: CampaignPoint;
  run: number;
  /** Where a bare controller keeps the run's files: `<campaignDir>/p<point>-r<run>`. */
  ids: { rootDir: string; expId: string; runId: string };
  signal?: AbortSignal;
}

export interface CampaignOptions {
  /** `<results>`: the campaign goes to `<results>/<experiment>/<campaignId>/`. */
  resultsDir?: string;
  /** Continue the campaign in this directory: only the runs it lacks are run. */
  resume?: string;
  /** The campaign's directory, instead of `<results>/<experiment>/campaign-<time>/` (a server's). */
  dir?: string;
  /**
   * Runs one repetition (default: a bare controller, `runOnce`). A server runs each through its
   * run manager, so that every run of a campaign is a normal run; it returns that run's id.
   */
  runOne?: (job: CampaignJob) => Promise<OneRunResult>;
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

  const dir = resolve(
    options.resume ?? options.dir ?? join(options.resultsDir ?? "results", safeName(doc.name), `campaign-${stamp()}`),
  );
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
  const confidence = campaignConfidence(campaign);
  const tracked = trackedMetric(campaign);
  const points = campaignPoints(campaign);
  const rows = await readRuns(dir);
  options.onStart?.({ dir, points: points.length, resumedRuns: rows.length });
  const runOne = options.runOne ?? ((job: CampaignJob) => runOnce(job.document, job.metrics, job.ids, job.signal));

  let ran = 0;
  let stopped = false;
  for (const p of points) {
    for (let run = nextRun(campaign, p, rows); run !== undefined; run = nextRun(campaign, p, rows)) {
      if (options.signal?.aborted || (options.stopAfter !== undefined && ran >= options.stopAfter)) {
        stopped = true;
        break;
      }
      const runId = `p${p.point}-r${run}`;
      const ids = { rootDir: dirname(dir), expId: basename(dir), runId };
      // A run killed half-way left a partial directory: it is run again from nothing.
      await rm(join(dir, runId), { recursive: true, force: true });
      const result = await runOne({
        document: documentAtPoint(doc, campaign, p),
        metrics: campaign.metrics,
        point: p,
        run,
        ids,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (result.status === "interrupted") {
        stopped = true;
        break;
      }
      const row: CampaignRunRow = {
        run,
        point: p.point,
        runId: result.runId ?? runId,
        parameters: p.values,
        metrics: result.metrics,
        status: result.status,
      };
      if (result.reason !== undefined) row.reason = result.reason;
      rows.push(row);
      ran++;
      await writeRuns(dir, rows, parameters, metricNames);
      await writeSummary(dir, campaignSummary(campaign, rows), parameters);
      options.onRun?.(row, {
        points: points.length,
        ...(tracked !== undefined ? { metric: tracked, stats: sampleStats(okValues(rows, p.point, tracked), confidence) } : {}),
      });
    }
    if (stopped) break;
  }
  const summary = campaignSummary(campaign, rows);
  await writeRuns(dir, rows, parameters, metricNames);
  await writeSummary(dir, summary, parameters);
  return { dir, runs: rows, summary, complete: !stopped };
}
