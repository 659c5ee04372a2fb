import { memo, useEffect, useMemo, useRef, useState } from "react";
import { criticalPath, type ResourceState, type StateEvent } from "@nepi/core";
import { useDesignStoreApi } from "../designer/store";
import { criticalMarks, formatCost } from "./critical-overlay";
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

/** `value`, updated at most once per `ms` (the latest value always shows in the end). */
function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const lastShown = useRef(0);
  useEffect(() => {
    const wait = lastShown.current + ms - Date.now();
    const show = () => {
      lastShown.current = Date.now();
      setShown(value);
    };
    if (wait <= 0) {
      show();
      return;
    }
    const timer = setTimeout(show, wait);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return shown;
}

/** Round tick times (ms) across [0, span]: steps of 1, 2 or 5 × a power of ten, about 6 ticks. */
function niceTicks(span: number): number[] {
  const raw = span / 6;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = 0; t <= span + 1e-9; t += step) ticks.push(t);
  return ticks;
}

/** Height of a row, its gap included (the rows are laid out at multiples of it). */
const ROW_HEIGHT = 22;
/** Rows drawn beyond the visible ones, above and below, so a scroll shows no blank. */
const OVERSCAN = 6;

/**
 * The rows of the dock's scroll area that are in view: only those are drawn, so a run of
 * thousands of resources costs the page a screenful of rows.
 */
function useVisibleRows(rowsEl: React.RefObject<HTMLDivElement | null>, count: number): [number, number] {
  const [range, setRange] = useState<[number, number]>([0, Math.min(count, 40)]);
  useEffect(() => {
    const el = rowsEl.current;
    const scroller = el?.closest(".dock-body") as HTMLElement | null;
    if (!el || !scroller) return;
    const update = () => {
      const offset = el.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
      const first = Math.max(0, Math.floor(-offset / ROW_HEIGHT) - OVERSCAN);
      const last = Math.min(count, Math.ceil((scroller.clientHeight - offset) / ROW_HEIGHT) + OVERSCAN);
      setRange((r) => (r[0] === first && r[1] === last ? r : [first, last]));
    };
    update();
    scroller.addEventListener("scroll", update, { passive: true });
    const resize = new ResizeObserver(update);
    resize.observe(scroller);
    return () => {
      scroller.removeEventListener("scroll", update);
      resize.disconnect();
    };
  }, [rowsEl, count]);
  return range;
}

/** Gantt chart of every resource's states over the run (time from the first transition). */
export const Timeline = memo(function Timeline() {
  // Redrawn at most 4 times a second: a chart of seconds needs no more, and every redraw moves
  // every bar (the time axis grows), which would cost the canvas its frames during a burst.
  const timeline = useThrottled(
    useRunStore((s) => s.timeline),
    250,
  );
  const resources = useRunStore((s) => s.resources);
  const { rows, guids, t0, span } = useMemo(() => {
    const t0 = timeline.length ? timeline[0].at : 0;
    const last = timeline.length ? timeline[timeline.length - 1].at : 0;
    // A little room after the last transition, so the states reached last show as bars too.
    const tEnd = last + Math.max((last - t0) * 0.08, 200);
    const span = Math.max(tEnd - t0, 1);
    const rows = segmentsOf(timeline, tEnd);
    return { rows, guids: [...rows.keys()].sort((a, b) => a - b), t0, span };
  }, [timeline]);
  const rowsRef = useRef<HTMLDivElement>(null);
  const [first, last] = useVisibleRows(rowsRef, guids.length);
  // After a run: the chain of waits and actions that decided when it ended (core's criticalPath
  // over the timeline and the design that was run).
  const over = useRunStore((s) => s.status !== null && s.status !== "RUNNING");
  const [showCritical, setShowCritical] = useState(false);
  const design = useDesignStoreApi();
  const critical = useMemo(
    () => (over && showCritical && timeline.length > 0 ? criticalPath(timeline, design.getState().toDocument()) : []),
    [over, showCritical, timeline, design],
  );
  const marks = useMemo(() => criticalMarks(critical, t0, span), [critical, t0, span]);

  if (timeline.length === 0) return <p className="dock-empty">No transitions yet: deploy, or open a past run.</p>;
  const byGuid = new Map<number, RunResource>(resources.map((r) => [r.guid, r]));
  const ticks = niceTicks(span);
  return (
    <div className={`gantt${critical.length > 0 ? " shows-critical" : ""}`} data-testid="timeline" data-rows={guids.length}>
      {over && (
        <div className="gantt-tools">
          <label className="switch" title="The chain of waits and actions that decided when the run ended">
            <input
              type="checkbox"
              data-testid="show-critical-path"
              checked={showCritical}
              onChange={(e) => setShowCritical(e.target.checked)}
            />
            Critical path
          </label>
          {critical.length > 0 && (
            <ol className="critical-path" data-testid="critical-path">
              {critical.map((l, i) => (
                <li key={i} data-kind={l.kind}>
                  {l.text} <b>{formatCost(l.costMs)}</b>
                </li>
              ))}
            </ol>
          )}
        </div>
      )}
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
      <div className="gantt-rows" ref={rowsRef} style={{ height: guids.length * ROW_HEIGHT }}>
        {guids.slice(first, last).map((guid, i) => {
          const r = byGuid.get(guid);
          const segs = rows.get(guid) ?? [];
          return (
            <div
              className="gantt-row"
              key={guid}
              data-testid="timeline-row"
              data-guid={guid}
              style={{ top: (first + i) * ROW_HEIGHT }}
            >
              <span className="gantt-label" title={r?.type}>
                {r?.label || r?.type || "resource"} <small>#{guid}</small>
              </span>
              <span className="gantt-track">
                {segs.map((s, k) => {
                  const left = ((s.from - t0) / span) * 100;
                  const width = Math.max(((s.to - s.from) / span) * 100, 0.4);
                  const title = `${s.state} at +${formatSeconds(s.from - t0)}${s.to > s.from ? ` for ${formatSeconds(s.to - s.from)}` : ""}${s.reason ? ` — ${s.reason}` : ""}`;
                  return (
                    <span
                      key={k}
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
                {marks.get(guid)?.map((m, k) => (
                  <span
                    key={`c${k}`}
                    className={`gantt-critical is-${m.kind}`}
                    data-testid="critical-mark"
                    title={m.title}
                    style={{ left: `${m.left}%`, width: `${m.width}%` }}
                  />
                ))}
              </span>
            </div>
          );
        })}
      </div>
    </div>
  );
});
