import type { CriticalLink } from "@nepi/core";

/** One link of the critical path as the timeline draws it on its resource's row. */
export interface CriticalMark {
  kind: CriticalLink["kind"];
  /** Position and width on the row, in % of the time axis. */
  left: number;
  width: number;
  title: string;
}

/** "1.2s", "250ms", "0ms": a link's cost. */
export function formatCost(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${Number((ms / 1000).toFixed(2))}s`;
}

/**
 * Places core's critical path on the timeline's rows: each link on the row of the resource it
 * belongs to (a wait on the row of the one that waited), at least a sliver wide so an instant
 * link still shows, with its text and cost as its title.
 */
export function criticalMarks(links: readonly CriticalLink[], t0: number, span: number): Map<number, CriticalMark[]> {
  const rows = new Map<number, CriticalMark[]>();
  for (const l of links) {
    const left = ((l.from - t0) / span) * 100;
    const width = Math.max(((l.to - l.from) / span) * 100, 0.6);
    const mark: CriticalMark = { kind: l.kind, left, width, title: `${l.text} — ${formatCost(l.costMs)}` };
    const row = rows.get(l.guid);
    if (row) row.push(mark);
    else rows.set(l.guid, [mark]);
  }
  return rows;
}
