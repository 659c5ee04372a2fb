import { useShallow } from "zustand/react/shallow";
import { useDesignStore } from "../designer/store";
import { useRunStore } from "./store";
import { designGate } from "./actions";
import { deploySelectedBlocker } from "./partial";
import { useEditor } from "../editor";

/** "Deploy selected": a run of the selected resources only (and what they deploy after); the others stay NEW. */
export function DeploySelected() {
  const gate = useDesignStore(useShallow(designGate));
  const selected = useDesignStore(useShallow((s) => s.selectedGuids));
  const { runs } = useEditor();
  const phase = useRunStore((s) => s.phase);
  const running = useRunStore((s) => s.runId !== null && s.status === "RUNNING");
  const busy = phase === "deploying" || (running && phase !== "history");
  const blocker = deploySelectedBlocker({ ...gate, busy }, selected.length);
  return (
    <button
      type="button"
      data-testid="deploy-selected"
      className="run-btn"
      disabled={blocker !== null}
      title={blocker ?? "Save the design and run only the selected resources (with the hosts they run on); the others stay NEW"}
      onClick={() => void runs.deploy(selected)}
    >
      Deploy selected{selected.length > 0 ? ` (${selected.length})` : ""}
    </button>
  );
}
