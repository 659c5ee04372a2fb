import { useEffect, useMemo, useState } from "react";
import type { CampaignDetail, CampaignEvent } from "@nepi/core";
import { trpc, errorMessage } from "../api/trpc";
import { useDesignStore, useDesignStoreApi } from "../designer/store";
import { useEditor } from "../editor";
import { CampaignEditor } from "./CampaignEditor";
import { CampaignChart } from "./CampaignChart";
import { CampaignGrid } from "./CampaignGrid";
import { applyCampaignEvent, campaignChart, campaignGrid, pointLabel } from "./feed";
import "./campaign.css";

const fmt = (v: number) => (Number.isFinite(v) ? String(Math.round(v * 1000) / 1000) : "—");

/**
 * The Campaign tab: the design's campaign (sweeps, repetitions, metrics), Run and Stop, and the
 * experiment's latest campaign as it runs — a grid of points × runs from its event stream, the
 * chart of the metric's mean and interval, the summary and its CSV downloads.
 */
export function CampaignPanel() {
  const designApi = useDesignStoreApi();
  const experimentId = useDesignStore((s) => s.experimentId);
  const readOnly = useDesignStore((s) => s.readOnly);
  const hasCampaign = useDesignStore((s) => s.campaign !== undefined);
  const blocking = useDesignStore((s) => s.problems.filter((p) => p.severity !== "warning").length);
  const { runs } = useEditor();
  // The campaign shown belongs to one experiment: another design shows its own.
  const [picked, setPicked] = useState<{ experimentId: string; campaignId: string | null } | null>(null);
  const campaignId = picked && picked.experimentId === experimentId ? picked.campaignId : null;
  const [feed, setShown] = useState<CampaignDetail | null>(null);
  const shown = feed && feed.campaignId === campaignId ? feed : null;
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Bumped to follow the campaign again once its stream ended (it was resumed).
  const [follow, setFollow] = useState(0);

  // The experiment's newest campaign, when the design is opened (or reopened from one of its runs).
  useEffect(() => {
    let cancelled = false;
    if (!experimentId) return;
    trpc.campaigns.list
      .query({ experimentId })
      .then(
        (list) =>
          !cancelled &&
          setPicked((p) => (p?.experimentId === experimentId ? p : { experimentId, campaignId: list[0]?.campaignId ?? null })),
      )
      .catch((err) => !cancelled && setError(errorMessage(err)));
    return () => {
      cancelled = true;
    };
  }, [experimentId]);

  // Live from the campaign's events (a snapshot first; tracked ids resume after a reconnect).
  useEffect(() => {
    if (!campaignId) return;
    const sub = trpc.campaigns.events.subscribe(
      { campaignId },
      {
        onData: (d) => setShown((c) => applyCampaignEvent(c, d.data as CampaignEvent)),
        onError: (err) => setError(`campaign events: ${errorMessage(err)}`),
      },
    );
    return () => sub.unsubscribe();
  }, [campaignId, follow]);

  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const d = designApi.getState();
      const document = d.toDocument();
      const { id } = await trpc.experiments.save.mutate(d.experimentId ? { id: d.experimentId, document } : { document });
      designApi.getState().markSaved(id);
      const { campaignId: started } = await trpc.campaigns.start.mutate({ experimentId: id });
      setPicked({ experimentId: id, campaignId: started });
    } catch (err) {
      setError(`the campaign did not start: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  };
  const resume = () => {
    if (!campaignId) return;
    setError(null);
    trpc.campaigns.resume
      .mutate({ campaignId })
      .then(() => setFollow((n) => n + 1))
      .catch((err) => setError(`resume failed: ${errorMessage(err)}`));
  };
  const stop = () => {
    if (!campaignId) return;
    trpc.campaigns.stop.mutate({ campaignId }).catch((err) => setError(`stop failed: ${errorMessage(err)}`));
  };

  const running = shown?.status === "RUNNING";
  const blocker = readOnly
    ? "This is a past run, shown read-only: go back to the design to run its campaign."
    : !hasCampaign
      ? "The design has no campaign yet."
      : blocking > 0
        ? "Fix the problems of the design first."
        : running
          ? "A campaign is running: stop it first."
          : null;

  return (
    <div className="campaign-panel" data-testid="campaign-panel">
      <div className="campaign-setup">
        <CampaignEditor />
        <div className="campaign-actions">
          <button
            type="button"
            data-testid="campaign-run"
            disabled={busy || blocker !== null}
            title={blocker ?? "Run every point of the sweep"}
            onClick={() => void run()}
          >
            Run the campaign
          </button>
          {running && (
            <button type="button" data-testid="campaign-stop" onClick={stop}>
              Stop
            </button>
          )}
          {shown && !readOnly && ["STOPPED", "INTERRUPTED", "FAILED"].includes(shown.status) && (
            <button
              type="button"
              data-testid="campaign-resume"
              title="Run only the runs this campaign still lacks"
              onClick={resume}
            >
              Resume
            </button>
          )}
        </div>
        {error && (
          <p role="alert" className="run-failed">
            {error}
          </p>
        )}
      </div>
      {shown ? (
        <CampaignResults campaign={shown} onOpen={(runId) => void runs.openRun(runId)} />
      ) : (
        <p className="dock-empty">{campaignId ? "Loading the campaign…" : "No campaign of this experiment has run yet."}</p>
      )}
    </div>
  );
}

function CampaignResults({ campaign, onOpen }: { campaign: CampaignDetail; onOpen(runId: string): void }) {
  const [metric, setMetric] = useState<string | null>(null);
  const [parameter, setParameter] = useState<string | null>(null);
  const m = metric !== null && campaign.metrics.includes(metric) ? metric : (campaign.tracked ?? campaign.metrics[0]);
  const p = parameter !== null && campaign.parameters.includes(parameter) ? parameter : campaign.parameters[0];
  const grid = useMemo(() => campaignGrid(campaign), [campaign]);
  const chart = useMemo(() => (m && p ? campaignChart(campaign.summary, m, p) : null), [campaign.summary, m, p]);
  const files = `/files/campaigns/${encodeURIComponent(campaign.campaignId)}`;
  const c = campaign.counts;
  return (
    <div className="campaign-results">
      <p className="campaign-status" data-testid="campaign-status" data-status={campaign.status}>
        <span className={`run-badge run-badge-${campaign.status.toLowerCase()}`}>{campaign.status}</span> {campaign.points}{" "}
        {campaign.points === 1 ? "point" : "points"} · {c.ok} ok · {c.failed} failed
        {c.running ? ` · ${c.running} running` : ""}
        {c.stopped ? ` · ${c.stopped} stopped` : ""}
        {campaign.reason ? ` — ${campaign.reason}` : ""}
        {(c.ok > 0 || c.failed > 0) && (
          <>
            {" · "}
            <a href={`${files}/runs.csv`} download data-testid="campaign-runs-csv">
              runs.csv
            </a>{" "}
            <a href={`${files}/summary.csv`} download data-testid="campaign-summary-csv">
              summary.csv
            </a>
          </>
        )}
      </p>
      <CampaignGrid rows={grid} onOpen={onOpen} />
      {m && (
        <div className="campaign-chart-controls">
          {campaign.metrics.length > 1 && (
            <label>
              metric{" "}
              <select value={m} onChange={(e) => setMetric(e.target.value)}>
                {campaign.metrics.map((x) => (
                  <option key={x}>{x}</option>
                ))}
              </select>
            </label>
          )}
          {campaign.parameters.length > 1 && (
            <label>
              against{" "}
              <select value={p} onChange={(e) => setParameter(e.target.value)}>
                {campaign.parameters.map((x) => (
                  <option key={x}>{x}</option>
                ))}
              </select>
            </label>
          )}
        </div>
      )}
      {chart && m && p && <CampaignChart data={chart} xLabel={p} yLabel={m} />}
      {m && (
        <table className="campaign-summary" data-testid="campaign-summary">
          <thead>
            <tr>
              <th>point</th>
              <th>n</th>
              <th>failed</th>
              <th>mean</th>
              <th>{Math.round(campaign.confidence * 100)} % interval</th>
            </tr>
          </thead>
          <tbody>
            {campaign.summary
              .filter((r) => r.metric === m)
              .map((r) => (
                <tr key={r.point} data-testid="campaign-summary-row" data-point={r.point}>
                  <td>{pointLabel(r.parameters)}</td>
                  <td>{r.n}</td>
                  <td>{r.failed}</td>
                  <td data-testid="campaign-mean">{r.n > 0 ? fmt(r.mean) : "—"}</td>
                  <td>{r.n > 1 ? `${fmt(r.ciLow)} … ${fmt(r.ciHigh)}` : "—"}</td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
