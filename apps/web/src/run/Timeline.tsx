import { memo, useMemo } from "react";
import type { ResourceState, StateEvent } from "@nepi/core";
import { useRunStore, type RunResource } from "./store";
import { STATE_STYLE } from "./states";

interface Segment {
  state: ResourceState;
  from: number;
  to: number;
  reason?: string;
}

/** Splits the run's transitions into per-resource segments [from, to) of one state each. */
function segmentsOf(timeline: StateEvent[], end: number): Map<number, Segment[]> {
  const rows = new Map<number, Segment[]>();
  for (const e of timeline) {
    let row = rows.get(e.guid);
    if (!row) rows.set(e.guid, (row = []));
    const last = row[row.length - 1];
    if (last) last.to = e.at;
    row.push({ state: e.state, from: e.at, to: end, reason: e.reason });
  }
  return rows;
}

function formatSeconds(ms: number): string {
  if (ms === 0) return "0";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return ms >= 10_000 ? `${(ms / 1000).toFixed(0)}s` : `${Number((ms / 1000).toFixed(2))}s`;
}

const MAX_ROWS = 300;

/** Round tick times (ms) across [0, span]: steps of 1, 2 or 5 × a power of ten, about 6 ticks. */
function niceTicks(span: number): number[] {
  const raw = span / 6;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = 0; t <= span + 1e-9; t += step) ticks.push(t);
  return ticks;
}

/** Gantt chart of every resource's states over the run (time from the first transition). */
export const Timeline = memo(function Timeline() {
  const timeline = useRunStore((s) => s.timeline);
  const resources = useRunStore((s) => s.resources);
  const { rows, t0, span } = useMemo(() => {
    const t0 = timeline.length ? timeline[0].at : 0;
    const tEnd = timeline.length ? timeline[timeline.length - 1].at : 0;
    const span = Math.max(tEnd - t0, 1);
    return { rows: segmentsOf(timeline, tEnd), t0, span };
  }, [timeline]);

  if (timeline.length === 0) return <p className="dock-empty">No transitions yet: deploy, or open a past run.</p>;
  const byGuid = new Map<number, RunResource>(resources.map((r) => [r.guid, r]));
  const guids = [...rows.keys()].sort((a, b) => a - b);
  const ticks = niceTicks(span);
  return (
    <div className="gantt" data-testid="timeline" data-rows={guids.length}>
      <div className="gantt-row gantt-axis" aria-hidden>
        <span className="gantt-label" />
        <span className="gantt-track">
          {ticks.map((t) => (
            <span key={t} className="gantt-tick" style={{ left: `${(t / span) * 100}%` }}>
              {formatSeconds(t)}
            </span>
          ))}
        </span>
      </div>
      {guids.slice(0, MAX_ROWS).map((guid) => {
        const r = byGuid.get(guid);
        const segs = rows.get(guid) ?? [];
        return (
          <div className="gantt-row" key={guid} data-testid="timeline-row" data-guid={guid}>
            <span className="gantt-label" title={r?.type}>
              {r?.label || r?.type || "resource"} <small>#{guid}</small>
            </span>
            <span className="gantt-track">
              {segs.map((s, i) => {
                const left = ((s.from - t0) / span) * 100;
                const width = Math.max(((s.to - s.from) / span) * 100, 0.4);
                const title = `${s.state} at +${formatSeconds(s.from - t0)}${s.to > s.from ? ` for ${formatSeconds(s.to - s.from)}` : ""}${s.reason ? ` — ${s.reason}` : ""}`;
                return (
                  <span
                    key={i}
                    className="gantt-seg"
                    data-state={s.state}
                    data-from={Math.round(s.from - t0)}
                    title={title}
                    style={{ left: `${left}%`, width: `${width}%`, background: STATE_STYLE[s.state].color }}
                  >
                    {width > 9 ? STATE_STYLE[s.state].label : ""}
                  </span>
                );
              })}
            </span>
          </div>
        );
      })}
      {guids.length > MAX_ROWS && <p className="dock-empty">…and {guids.length - MAX_ROWS} more resources.</p>}
    </div>
  );
});
