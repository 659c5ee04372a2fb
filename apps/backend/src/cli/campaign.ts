import { resolve } from "node:path";
import { runCampaign, type CampaignRunRow, type SampleStats } from "@nepi/core/node";

export interface CampaignCommandOptions {
  doc: unknown;
  results: string;
  json: boolean;
  /** A campaign directory to continue: only its missing runs are run. */
  resume?: string;
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
}

/** Exit codes of `nepi run` on a campaign: every run ok, some run failed, interrupted. */
export const CAMPAIGN_EXIT = { ok: 0, someFailed: 1, interrupted: 130 } as const;

const number = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(4));

function liveLine(row: CampaignRunRow, points: number, metric?: string, stats?: SampleStats): string {
  const params = Object.entries(row.parameters)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(" ");
  const values = Object.entries(row.metrics)
    .map(([k, v]) => `${k}=${v === null ? "-" : number(v)}`)
    .join(" ");
  const ci =
    metric !== undefined && stats !== undefined && stats.n > 0
      ? ` | ${metric} ${number(stats.mean)} ± ${Number.isFinite(stats.ciHigh) ? number(stats.ciHigh - stats.mean) : "∞"} (n=${stats.n})`
      : "";
  const status = row.status === "ok" ? "ok" : `FAILED: ${row.reason ?? ""}`;
  return `point ${row.point}/${points}${params ? ` [${params}]` : ""} run ${row.run}: ${status}${values ? ` ${values}` : ""}${ci}`;
}

/**
 * `nepi run` on a document with a campaign: every point's runs one after another, a line (or
 * with --json one JSON object) per run as it ends; Ctrl-C stops the current run and releases it,
 * and `--resume <dir>` continues with what is missing.
 */
export async function campaignCommand(o: CampaignCommandOptions): Promise<number> {
  const emit = (obj: Record<string, unknown>) => o.out.write(JSON.stringify(obj) + "\n");
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (o.json) emit({ event: "interrupt", signal: sig });
    else o.err.write(`${sig}: stopping the current run and releasing everything…\n`);
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const result = await runCampaign(o.doc, {
      resultsDir: resolve(o.results),
      ...(o.resume !== undefined ? { resume: resolve(o.resume) } : {}),
      signal: abort.signal,
      onStart: ({ dir, points, resumedRuns }) => {
        if (o.json) emit({ event: "campaign", results: dir, points, resumedRuns });
        else
          o.out.write(
            `campaign of ${points} point${points === 1 ? "" : "s"} → ${dir}${resumedRuns ? ` (resuming after ${resumedRuns} runs)` : ""}\n`,
          );
      },
      onRun: (row, p) => {
        if (o.json) emit({ event: "run", ...row, ...(p.stats ? { stats: { metric: p.metric, ...p.stats } } : {}) });
        else o.out.write(liveLine(row, p.points, p.metric, p.stats) + "\n");
      },
    });
    const failed = result.runs.filter((r) => r.status === "failed");
    const code = !result.complete ? CAMPAIGN_EXIT.interrupted : failed.length > 0 ? CAMPAIGN_EXIT.someFailed : CAMPAIGN_EXIT.ok;
    if (o.json)
      emit({
        event: "result",
        ok: code === 0,
        complete: result.complete,
        runs: result.runs.length,
        failed: failed.length,
        results: result.dir,
        exitCode: code,
      });
    else {
      for (const r of failed) o.err.write(`FAILED point ${r.point} run ${r.run}: ${r.reason ?? ""}\n`);
      o.out.write(
        `${result.complete ? "done" : "interrupted"}: ${result.runs.length} runs (${failed.length} failed); runs.csv and summary.csv in ${result.dir}` +
          `${result.complete ? "" : ` (continue with --resume ${result.dir})`}\n`,
      );
    }
    return code;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
