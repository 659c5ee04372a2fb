import { useEditor } from "../editor";
import { useRunStore } from "./store";
import { redeployBlocker } from "./partial";

/**
 * In the inspector of a resource of the run shown: releases it and what runs on it (a node's
 * applications), then deploys them again. Hidden when no run is going on.
 */
export function RedeployButton({ guid }: { guid: number }) {
  const { runs } = useEditor();
  const phase = useRunStore((s) => s.phase);
  const status = useRunStore((s) => s.status);
  const state = useRunStore((s) => s.states[guid]?.state);
  const runId = useRunStore((s) => s.runId);
  if (runId === null || phase === "history") return null;
  const blocker = redeployBlocker({ phase, status, state });
  return (
    <div className="field">
      <button
        type="button"
        data-testid="redeploy"
        className="btn"
        disabled={blocker !== null}
        title={blocker ?? "Release this resource and what runs on it, then deploy them again (the rest of the run goes on)"}
        onClick={() => void runs.redeploy(guid)}
      >
        Redeploy
      </button>
    </div>
  );
}
