import { useEffect, useState } from "react";
import type { RunDifference, RunSummary } from "@nepi/core";
import { useDesignStore } from "../designer/store";
import { trpc, errorMessage } from "../api/trpc";
import { useRunStore } from "./store";
import { useEditor } from "../editor";
import { RunCompare } from "./RunCompare";

function when(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

/** Every past run of the experiment; each can be reopened read-only. */
export function RunHistory() {
  const experimentId = useDesignStore((s) => s.experimentId);
  const shownRun = useRunStore((s) => s.runId);
  // Refresh when a run starts or changes status: the list then shows it.
  const status = useRunStore((s) => s.status);
  const { runs: actions } = useEditor();
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cleaned, setCleaned] = useState(0);
  const [cleaning, setCleaning] = useState<string | null>(null);
  // Compare: the first run picked, then the differences once a second one is.
  const [compareFrom, setCompareFrom] = useState<string | null>(null);
  const [diff, setDiff] = useState<RunDifference | null>(null);

  const compare = (runId: string) => {
    if (compareFrom === null || compareFrom === runId) return setCompareFrom(compareFrom === runId ? null : runId);
    trpc.runs.diff
      .query({ a: compareFrom, b: runId })
      .then((d) => (setDiff(d), setError(null)))
      .catch((err) => setError(`compare failed: ${errorMessage(err)}`))
      .finally(() => setCompareFrom(null));
  };

  // An interrupted run (the server died during it) may have left processes on its hosts.
  const cleanup = (runId: string) => {
    setCleaning(runId);
    trpc.runs.cleanup
      .mutate({ runId })
      .then(() => setError(null))
      .catch((err) => setError(`clean-up of run ${runId} failed: ${errorMessage(err)}`))
      .finally(() => {
        setCleaning(null);
        setCleaned((n) => n + 1);
      });
  };

  useEffect(() => {
    let cancelled = false;
    // No experiment open (a fresh page): every run, so a past one can still be reopened.
    trpc.runs.list
      .query(experimentId ? { experimentId } : {})
      .then((list) => !cancelled && (setRuns(list), setError(null)))
      .catch((err) => !cancelled && setError(errorMessage(err)));
    return () => {
      cancelled = true;
    };
  }, [experimentId, shownRun, status, cleaned]);

  return (
    <div className="run-history" data-testid="run-history">
      {error && <p role="alert">{error}</p>}
      {runs?.length === 0 && <p className="dock-empty">{experimentId ? "No run of this experiment yet." : "No run yet."}</p>}
      {!experimentId && runs && runs.length > 0 && <p className="dock-note">No experiment is open: every run is listed.</p>}
      {runs && runs.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Started</th>
              {!experimentId && <th>Experiment</th>}
              <th>Status</th>
              <th>Resources</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {[...runs]
              .sort((a, b) => b.startedAt - a.startedAt)
              .map((r) => (
                <tr
                  key={r.runId}
                  data-testid="run-history-item"
                  data-run-id={r.runId}
                  data-status={r.status}
                  aria-current={r.runId === shownRun}
                >
                  <td>{when(r.startedAt)}</td>
                  {!experimentId && <td>{r.experimentName}</td>}
                  <td>
                    <span className={`run-badge run-badge-${r.status.toLowerCase()}`}>{r.status}</span>
                    {r.reason ? <small title={r.reason}> {r.reason}</small> : null}
                  </td>
                  <td>
                    {Object.entries(r.counts)
                      .filter(([, n]) => n > 0)
                      .map(([s, n]) => `${n} ${s.toLowerCase()}`)
                      .join(", ")}
                  </td>
                  <td>
                    <div className="run-history-actions">
                      {r.status === "INTERRUPTED" && !r.releasedAt && (
                        <button
                          type="button"
                          data-testid="cleanup-run"
                          disabled={cleaning !== null}
                          title="End what this run left running on its hosts"
                          onClick={() => cleanup(r.runId)}
                        >
                          {cleaning === r.runId ? "Cleaning up…" : "Clean up"}
                        </button>
                      )}
                      {r.releasedAt && (
                        <button
                          type="button"
                          data-testid="compare-run"
                          aria-pressed={compareFrom === r.runId}
                          title={
                            compareFrom
                              ? "Compare the run picked first with this one"
                              : "Pick this run, then the one to compare it with"
                          }
                          onClick={() => compare(r.runId)}
                        >
                          {compareFrom === r.runId ? "Compare with…" : "Compare"}
                        </button>
                      )}
                      {r.releasedAt && (
                        <a
                          data-testid="bundle-run"
                          href={`/files/runs/${encodeURIComponent(r.runId)}/bundle.tar.gz`}
                          download
                          title="Download this run's design, manifest, timeline and traces as one .tar.gz"
                        >
                          Bundle
                        </a>
                      )}
                      <button type="button" data-testid="open-run" onClick={() => void actions.openRun(r.runId)}>
                        {r.runId === shownRun ? "Shown" : "Open"}
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
      {diff && <RunCompare diff={diff} onClose={() => setDiff(null)} />}
    </div>
  );
}
