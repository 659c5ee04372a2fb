import type { AttributeValue, CampaignDetail, CampaignEvent, CampaignRunInfo, CampaignSummaryRow } from "@nepi/core";

/** The campaign as shown, after one more of its events (a snapshot replaces it whole). */
export function applyCampaignEvent(shown: CampaignDetail | null, e: CampaignEvent): CampaignDetail | null {
  if (e.type === "snapshot") return e.campaign;
  if (!shown) return shown;
  if (e.type === "status") {
    const { reason: _reason, endedAt: _endedAt, ...rest } = shown;
    // RUNNING again: a resumed campaign, not over.
    const ended = e.status === "RUNNING" ? {} : { endedAt: e.at };
    return { ...rest, status: e.status, ...ended, ...(e.reason !== undefined ? { reason: e.reason } : {}) };
  }
  const runs = shown.runs.some((r) => r.runId === e.run.runId)
    ? shown.runs.map((r) => (r.runId === e.run.runId ? e.run : r))
    : [...shown.runs, e.run];
  const count = (s: CampaignRunInfo["status"]) => runs.filter((r) => r.status === s).length;
  return {
    ...shown,
    runs,
    summary: e.summary,
    counts: { ok: count("ok"), failed: count("failed"), running: count("running"), stopped: count("stopped") },
  };
}

export type CellStatus = CampaignRunInfo["status"] | "pending";

export interface GridRow {
  point: number;
  label: string;
  cells: Array<{ run: number; status: CellStatus; runId?: string; title: string }>;
}

/** "task.duration=100ms, app.count=3": a point's values, for people. */
export function pointLabel(values: Record<string, AttributeValue>): string {
  const entries = Object.entries(values);
  return entries.length === 0 ? "(no parameter)" : entries.map(([k, v]) => `${k}=${String(v)}`).join(", ");
}

/**
 * Points × runs: each point's runs by number, the latest attempt of each (a stopped run run
 * again shows how it went then), and the runs still to come as pending (`count`, or `min`).
 */
export function campaignGrid(c: CampaignDetail): GridRow[] {
  const planned = "count" in c.repetitions ? c.repetitions.count : c.repetitions.min;
  return c.pointList.map((p) => {
    const latest = new Map<number, CampaignRunInfo>();
    for (const r of c.runs) if (r.point === p.point) latest.set(r.run, r);
    const width = Math.max(planned, ...latest.keys());
    const cells = Array.from({ length: width }, (_, i) => {
      const r = latest.get(i + 1);
      if (!r) return { run: i + 1, status: "pending" as const, title: `run ${i + 1}: not run yet` };
      const values = Object.entries(r.metrics)
        .map(([k, v]) => `${k}=${v ?? "—"}`)
        .join(" ");
      return {
        run: r.run,
        status: r.status,
        runId: r.runId,
        title: `run ${r.run}: ${r.status}${values ? ` · ${values}` : ""}${r.reason ? ` · ${r.reason}` : ""}`,
      };
    });
    return { point: p.point, label: pointLabel(p.values), cells };
  });
}

export interface ChartSeries {
  /** The other parameters' values this series holds fixed ("" with one parameter). */
  label: string;
  mean: (number | null)[];
  low: (number | null)[];
  high: (number | null)[];
}

export interface CampaignChartData {
  /** x positions: the parameter's values when all are numbers, else 1, 2, 3… */
  x: number[];
  /** What each x position reads as (the parameter's value). */
  ticks: string[];
  series: ChartSeries[];
}

const finite = (v: number) => (Number.isFinite(v) ? v : null);

/**
 * The metric's mean and confidence interval against one parameter: a series per combination
 * of the other parameters' values. A point with no successful run has no mean (a gap).
 */
export function campaignChart(summary: readonly CampaignSummaryRow[], metric: string, parameter: string): CampaignChartData {
  const rows = summary.filter((r) => r.metric === metric);
  const xValues: AttributeValue[] = [];
  for (const r of rows) {
    const v = r.parameters[parameter];
    if (v !== undefined && !xValues.includes(v)) xValues.push(v);
  }
  const numeric = xValues.length > 0 && xValues.every((v) => typeof v === "number");
  const order = numeric ? [...xValues].sort((a, b) => (a as number) - (b as number)) : xValues;
  const x = numeric ? (order as number[]) : order.map((_, i) => i + 1);
  const groups = new Map<string, ChartSeries>();
  for (const r of rows) {
    const rest = Object.fromEntries(Object.entries(r.parameters).filter(([k]) => k !== parameter));
    const key = Object.keys(rest).length ? pointLabel(rest) : "";
    let s = groups.get(key);
    if (!s) {
      s = { label: key, mean: x.map(() => null), low: x.map(() => null), high: x.map(() => null) };
      groups.set(key, s);
    }
    const i = order.indexOf(r.parameters[parameter]!);
    if (i < 0 || r.n === 0) continue;
    s.mean[i] = finite(r.mean);
    s.low[i] = finite(r.ciLow);
    s.high[i] = finite(r.ciHigh);
  }
  return { x, ticks: order.map(String), series: [...groups.values()] };
}
