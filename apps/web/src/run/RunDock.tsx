import { useEffect, useMemo, useState } from "react";
import { useRunStore } from "./store";
import { TracePane, type TraceRef } from "./TracePane";
import { Timeline } from "./Timeline";
import { RunHistory } from "./RunHistory";
import { CampaignPanel } from "../campaign/CampaignPanel";
import { useEditor } from "../editor";

type Tab = "traces" | "timeline" | "history" | "campaign";

const MAX_OPEN_PANES = 6;
const TAB_NAMES: Record<Tab, string> = { traces: "Traces", timeline: "Timeline", history: "Run history", campaign: "Campaign" };

/** Bottom-dock part of the run: trace panes, the Gantt timeline and the run history. */
export function RunDock() {
  const [tab, setTab] = useState<Tab>("traces");
  const runId = useRunStore((s) => s.runId);
  const phase = useRunStore((s) => s.phase);
  const dry = useRunStore((s) => s.dryRun);
  const resources = useRunStore((s) => s.resources);
  const status = useRunStore((s) => s.status);
  const statusReason = useRunStore((s) => s.statusReason);
  const { runs } = useEditor();
  const missingTraces = useRunStore((s) => s.missingTraces);

  const traces: TraceRef[] = useMemo(
    () => resources.flatMap((r) => r.traces.map((name) => ({ guid: r.guid, name, rtype: r.type, label: r.label || r.type }))),
    [resources],
  );
  const keyOf = (t: TraceRef) => `${t.guid}/${t.name}`;
  const [open, setOpen] = useState<string[]>([]);
  // A new run opens its first traces (an empty one stays one line high until output comes).
  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- one reset per new run, not a render loop
    setOpen(traces.slice(0, MAX_OPEN_PANES).map(keyOf));
  }, [runId, traces]);

  const toggle = (k: string) => setOpen((o) => (o.includes(k) ? o.filter((x) => x !== k) : [...o, k]));

  return (
    <div className="run-dock">
      {phase === "history" && (
        <div className="run-readonly" role="status" data-testid="history-banner">
          Showing past run <code>{runId}</code> read-only.
          <button type="button" data-testid="close-run" onClick={() => runs.closeHistory()}>
            Back to the design
          </button>
        </div>
      )}
      {(status === "FAILED" || status === "INTERRUPTED") && statusReason && (
        <div className="run-failed" role="alert" data-testid="run-failure">
          Run {status.toLowerCase()}: {statusReason}
        </div>
      )}
      {missingTraces.length > 0 && (
        <div className="run-failed" role="alert" data-testid="run-missing-traces">
          {missingTraces.length === 1 ? "A trace" : `${missingTraces.length} traces`} could not be collected:{" "}
          {missingTraces
            .map((m) => `${resources.find((r) => r.guid === m.guid)?.label || `guid ${m.guid}`} ${m.name} (${m.reason})`)
            .join("; ")}
        </div>
      )}
      <div className="dock-tabs" role="tablist">
        {(["traces", "timeline", "history", "campaign"] as const).map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            data-testid={`dock-tab-${t}`}
            className={tab === t ? "active" : ""}
            onClick={() => setTab(t)}
          >
            {TAB_NAMES[t]}
          </button>
        ))}
      </div>
      <div className="dock-body" role="tabpanel">
        {/* Trace panes stay mounted (hidden) on other tabs: their text and streams are kept. */}
        <div className="traces" hidden={tab !== "traces"}>
          {!runId && <p className="dock-empty">Deploy the design to follow its traces here.</p>}
          {runId && dry && <p className="dock-empty">A dry run does no I/O and has no traces: see the Timeline tab.</p>}
          {runId && !dry && traces.length === 0 && (
            <p className="dock-empty">No trace is enabled in this design (enable stdout/stderr in a resource's inspector).</p>
          )}
          {runId && !dry && traces.length > 0 && (
            <>
              <div className="trace-chips" aria-label="Traces of this run">
                {traces.map((t) => (
                  <label key={keyOf(t)} className="trace-chip">
                    <input type="checkbox" checked={open.includes(keyOf(t))} onChange={() => toggle(keyOf(t))} />
                    {t.label} #{t.guid} · {t.name}
                  </label>
                ))}
              </div>
              <div className="trace-panes">
                {traces
                  .filter((t) => open.includes(keyOf(t)))
                  .map((t) => (
                    <TracePane key={`${runId}/${keyOf(t)}`} runId={runId} trace={t} />
                  ))}
              </div>
            </>
          )}
        </div>
        {tab === "timeline" && <Timeline />}
        {tab === "history" && <RunHistory />}
        {/* Mounted on every tab: a running campaign's grid keeps following its events. */}
        <div className="dock-campaign" hidden={tab !== "campaign"}>
          <CampaignPanel />
        </div>
      </div>
    </div>
  );
}
