import { memo, useEffect, useRef, useState } from "react";
import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import type { TraceChunk } from "@nepi/core";
import { trpc } from "../api/trpc";
import { TraceCharts, hasChart } from "./TraceCharts";
import { useDesignStore } from "../designer/store";
import { useRunStore } from "./store";

const utf8 = new TextEncoder();
const FONT_FAMILY = "'DejaVu Sans Mono', 'Liberation Mono', ui-monospace, monospace";
const FONT_SIZE = 12;
let measuredCharWidth = 0;

/** Width of one monospace cell in the terminal's font, measured once. */
function charWidth(): number {
  if (!measuredCharWidth) {
    const ctx = document.createElement("canvas").getContext("2d");
    if (ctx) {
      ctx.font = `${FONT_SIZE}px ${FONT_FAMILY}`;
      measuredCharWidth = ctx.measureText("M".repeat(50)).width / 50;
    }
    if (!measuredCharWidth) measuredCharWidth = FONT_SIZE * 0.6;
  }
  return measuredCharWidth;
}

export interface TraceRef {
  guid: number;
  name: string;
  label: string;
  rtype: string;
}

/**
 * One trace followed live (runs.trace streams chunks as they arrive; a past run's trace comes
 * whole). xterm.js renders it, so colors and carriage returns behave as in a terminal; the raw
 * text is kept for the download and the charts.
 */
export const TracePane = memo(function TracePane({ runId, trace }: { runId: string; trace: TraceRef }) {
  const hostRef = useRef<HTMLDivElement>(null);
  const info = useDesignStore((s) => s.catalog[trace.rtype]);
  const textRef = useRef("");
  const [text, setText] = useState("");
  const [ended, setEnded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // A redeployed resource's trace starts again from nothing: so does its pane.
  const instance = useRunStore((s) => s.redeploys[trace.guid] ?? 0);
  // A new attempt (a retry) writes its trace afresh: follow that one from its start.
  const attempt = useRunStore((s) => s.states[trace.guid]?.attempt ?? 1);

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    const term = new Terminal({
      convertEol: true,
      disableStdin: true,
      cursorBlink: false,
      cursorInactiveStyle: "none",
      scrollback: 5000,
      fontFamily: FONT_FAMILY,
      fontSize: FONT_SIZE,
      rows: 10,
      // Read-only text: no cursor to show.
      theme: { background: "#1d2127", foreground: "#e6e6e6", cursor: "#1d2127", cursorAccent: "#1d2127" },
    });
    term.open(host);
    // As many columns as the pane is wide (long lines wrap instead of being cut).
    const fit = () => {
      const cols = Math.max(20, Math.floor((host.clientWidth - 8) / charWidth()));
      if (cols !== term.cols) term.resize(cols, term.rows);
    };
    fit();
    const resize = new ResizeObserver(fit);
    resize.observe(host);
    textRef.current = "";
    setText("");
    setEnded(false);
    setError(null);
    // Redraw the charts at most once per frame however fast the chunks come.
    let frame = 0;
    let next = 0; // byte offset after what was received
    let closed = false;
    let caughtUp = false;
    let sub: { unsubscribe(): void } | null = null;
    const follow = (offset: number) => {
      sub = trpc.runs.trace.subscribe(
        { runId, guid: trace.guid, name: trace.name, ...(offset ? { offset } : {}) },
        {
          onData(msg) {
            const chunk = ("data" in msg && typeof msg.data === "object" ? msg.data : msg) as TraceChunk;
            if (chunk.data && chunk.offset >= next) {
              term.write(chunk.data);
              textRef.current += chunk.data;
              next = chunk.offset + utf8.encode(chunk.data).length;
              if (!frame) {
                frame = requestAnimationFrame(() => {
                  frame = 0;
                  setText(textRef.current);
                });
              }
            }
            if (chunk.end) finish();
          },
          onError(err) {
            setError(err.message);
          },
          onComplete() {
            finish();
          },
        },
      );
    };
    // A live stream ends when the run's resources are released; what was written just
    // before may not have been followed yet: read the run's kept copy once from there.
    const finish = () => {
      if (closed) return;
      if (!caughtUp) {
        caughtUp = true;
        sub?.unsubscribe();
        follow(next);
        return;
      }
      setEnded(true);
    };
    follow(0);
    return () => {
      closed = true;
      resize.disconnect();
      sub?.unsubscribe();
      if (frame) cancelAnimationFrame(frame);
      term.dispose();
    };
  }, [runId, trace.guid, trace.name, instance, attempt]);

  const download = () => {
    const blob = new Blob([textRef.current], { type: "text/plain" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `${runId}-${trace.guid}-${trace.name}.txt`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 0);
  };

  return (
    <section
      className="trace-pane"
      data-testid="trace-pane"
      data-guid={trace.guid}
      data-trace={trace.name}
      data-ended={ended ? "true" : "false"}
      aria-label={`${trace.label} ${trace.name}`}
    >
      <header>
        <span className="trace-title">
          {trace.label} <small>#{trace.guid}</small> · {trace.name}
          {attempt > 1 && <small data-testid="trace-attempt"> · attempt {attempt}</small>}
        </span>
        <span className="trace-meta">{ended ? "complete" : "live"}</span>
        <button type="button" data-testid="trace-download" onClick={download} title="Download this trace as a text file">
          Download
        </button>
      </header>
      {error && (
        <p className="trace-error" role="alert">
          {error}
        </p>
      )}
      <div className={`trace-body${hasChart(info, trace.name) ? " has-chart" : ""}`}>
        <TraceCharts info={info} trace={trace.name} text={text} />
        {!text && <p className="trace-empty">{ended ? "(empty)" : "no output yet…"}</p>}
        <div className={`trace-term${text ? "" : " is-empty"}`} ref={hostRef} data-testid="trace-text" />
      </div>
    </section>
  );
});
