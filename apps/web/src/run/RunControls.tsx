import { useShallow } from "zustand/react/shallow";
import { useDesignStore } from "../designer/store";
import { useRunStore } from "./store";
import { STATE_STYLE } from "./states";
import { deployBlocker, designGate, retryBlocker, type RetryGate } from "./actions";
import { useEditor } from "../editor";
import { deployConfirmed } from "../designer/HostChecks";
import { DeploySelected } from "./DeploySelected";
import "./run.css";

const BAR_PARTS = ["FINISHED", "STOPPED", "STARTED", "READY", "FAILED", "RELEASED"] as const;

/** Toolbar part of the run: Deploy, Dry run, Stop, Release and the progress bar. */
export function RunControls() {
  const { readOnly, empty, problemCount } = useDesignStore(useShallow(designGate));
  const { runs, design } = useEditor();
  const phase = useRunStore((s) => s.phase);
  const status = useRunStore((s) => s.status);
  const statusReason = useRunStore((s) => s.statusReason);
  const runId = useRunStore((s) => s.runId);
  const dry = useRunStore((s) => s.dryRun);
  const error = useRunStore((s) => s.error);
  const failed = useRunStore((s) => s.counts.FAILED);

  const running = runId !== null && status === "RUNNING";
  const busy = phase === "deploying" || (running && phase !== "history");
  const blocker = deployBlocker({ readOnly, empty, busy, problemCount });
  const canStop = runId !== null && running && phase !== "history";
  const canRelease =
    runId !== null &&
    phase !== "deploying" &&
    status !== null &&
    status !== "RELEASED" &&
    (phase !== "history" || status === "RUNNING");

  return (
    <div className="run-controls" role="group" aria-label="Run">
      <button
        type="button"
        data-testid="deploy"
        className="run-btn run-btn-primary"
        disabled={blocker !== null}
        title={blocker ?? "Save the design and run it"}
        onClick={() => deployConfirmed(design.getState()) && void runs.deploy()}
      >
        {phase === "deploying" ? "Deploying…" : "Deploy"}
      </button>
      <DeploySelected />
      <button
        type="button"
        data-testid="dry-run"
        className="run-btn"
        disabled={blocker !== null}
        title={blocker ?? "Run the design here with every resource replaced by a simulated task, to check the order of events"}
        onClick={() => runs.dryRun()}
      >
        Dry run
      </button>
      <button
        type="button"
        data-testid="stop"
        className="run-btn"
        disabled={!canStop}
        onClick={() => void runs.stop()}
        title="Stop every started resource"
      >
        Stop
      </button>
      <button
        type="button"
        data-testid="release"
        className="run-btn"
        disabled={!canRelease}
        onClick={() => void runs.release()}
        title="Release every resource of the run (ends its processes)"
      >
        Release
      </button>
      {runId !== null && (
        <RetryFailedButton gate={{ live: phase === "live", status, failed }} onRetry={() => void runs.retryFailed()} />
      )}
      {blocker !== null && problemCount > 0 && !readOnly && (
        <span className="run-blocker" data-testid="deploy-blocker" role="note">
          {blocker}
        </span>
      )}
      {runId !== null && (
        <>
          <ProgressBar />
          <span
            className={`run-status run-status-${(status ?? "starting").toLowerCase()}`}
            data-testid="run-status"
            data-status={status ?? ""}
            data-run-id={runId}
            title={statusReason ?? undefined}
          >
            {dry ? "dry run · " : ""}
            {status ?? "starting…"}
          </span>
        </>
      )}
      {error && (
        <span className="run-error" role="alert" data-testid="run-error" title={error}>
          {error}
        </span>
      )}
    </div>
  );
}

/** "Retry failed", shown once a resource of the run failed; disabled, with the reason, when the run cannot retry. */
export function RetryFailedButton({ gate, onRetry }: { gate: RetryGate; onRetry: () => void }) {
  if (gate.failed === 0 && gate.status !== "FINISHED_WITH_FAILURES") return null;
  const why = retryBlocker(gate);
  return (
    <button
      type="button"
      data-testid="retry-failed"
      className="run-btn"
      disabled={why !== null}
      onClick={onRetry}
      title={
        why ?? "Run the failed resources again, and what failed because of them, in this run (what went well is not redeployed)"
      }
    >
      Retry failed
    </button>
  );
}

function ProgressBar() {
  const counts = useRunStore((s) => s.counts);
  const total = Math.max(counts.total, 1);
  const label = BAR_PARTS.map((k) => `${counts[k]} ${STATE_STYLE[k].label}`).join(" · ");
  return (
    <div className="run-progress" data-testid="run-progress" title={label}>
      <div
        className="run-progress-bar"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={counts.total}
        aria-valuenow={counts.FINISHED + counts.STOPPED + counts.FAILED}
        aria-label="resources ended"
      >
        {BAR_PARTS.map((k) =>
          counts[k] > 0 ? (
            <span key={k} style={{ width: `${(100 * counts[k]) / total}%`, background: STATE_STYLE[k].color }} />
          ) : null,
        )}
      </div>
      <span className="run-progress-text">
        {/* Zero counts stay in the page (scripts read them) but take no room. */}
        {BAR_PARTS.map((k) => (
          <span key={k} data-testid={`count-${k}`} data-count={counts[k]} hidden={counts[k] === 0}>
            <i style={{ background: STATE_STYLE[k].color }} aria-hidden />
            {counts[k]} {STATE_STYLE[k].label}
          </span>
        ))}
        <span className="run-progress-total">
          {BAR_PARTS.every((k) => counts[k] === 0) ? `${counts.total} resources` : `of ${counts.total}`}
        </span>
      </span>
    </div>
  );
}
