import { useRef, useState } from "react";
import { useReactFlow } from "@xyflow/react";
import { RunControls } from "../run/RunControls";
import { useDesignStore } from "./store";
import { useEditor } from "../editor";
import { exportDesign, forgetShownRun, importFile, saveDesign } from "./persistence";
import { autoLayout } from "./layout";
import { ExperimentsDialog } from "./ExperimentsDialog";
import { InsertTopologyDialog } from "./InsertTopologyDialog";
import { HostCheckButton } from "./HostChecks";
import { useUiStore } from "./ui";
import { errorMessage } from "../api/trpc";
import { RunOnHostsButton } from "../hosts/RunOnHosts";

const LEAVE_RUN_FIRST = "A past run is shown: go back to the design first.";

/** The top bar: file actions, edit history, layout and the run controls. */
export function Toolbar() {
  const name = useDesignStore((s) => s.name);
  const dirty = useDesignStore((s) => s.dirty);
  const readOnly = useDesignStore((s) => s.readOnly);
  const experimentId = useDesignStore((s) => s.experimentId);
  const canUndo = useDesignStore((s) => !s.readOnly && s.past.length > 0);
  const canRedo = useDesignStore((s) => !s.readOnly && s.future.length > 0);
  const empty = useDesignStore((s) => s.nodes.length === 0);
  const dialog = useUiStore((s) => s.openDialog);
  const setDialog = useUiStore((s) => s.setOpenDialog);
  const [layouting, setLayouting] = useState(false);
  const [topologyOpen, setTopologyOpen] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const flow = useReactFlow();
  const editor = useEditor();
  const store = () => editor.design.getState();

  const runLayout = async () => {
    const s = store();
    setLayouting(true);
    try {
      const positions = await autoLayout(s.nodes, s.connections, s.conditions, s.catalog);
      store().setPositions(positions);
      requestAnimationFrame(() => void flow.fitView({ padding: 0.2, maxZoom: 1.1, duration: 300 }));
    } catch (err) {
      store().notify("error", `Auto-layout failed: ${errorMessage(err)}`);
    } finally {
      setLayouting(false);
    }
  };

  return (
    <header className="toolbar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          N
        </span>
        <span className="brand-name">NEPI Studio</span>
      </div>
      <div className="doc-title" title={experimentId ? `Experiment ${experimentId}` : "Not saved yet"}>
        <span className="doc-name" data-testid="doc-name">
          {name}
        </span>
        {dirty && !readOnly && (
          <span className="dirty-dot" title="Unsaved changes" aria-label="unsaved changes">
            ●
          </span>
        )}
        {readOnly && <span className="pill">read-only</span>}
      </div>
      <div className="tool-group" role="group" aria-label="File">
        <button
          type="button"
          className="btn"
          data-testid="new"
          disabled={readOnly}
          onClick={() => {
            forgetShownRun(editor);
            store().newDesign();
          }}
          title={readOnly ? LEAVE_RUN_FIRST : "Start an empty design (Ctrl+Z brings the previous one back)"}
        >
          New
        </button>
        <button
          type="button"
          className="btn"
          data-testid="open"
          disabled={readOnly}
          onClick={() => setDialog(true)}
          title={readOnly ? LEAVE_RUN_FIRST : "Open a saved experiment or an example"}
        >
          Open…
        </button>
        <button
          type="button"
          className="btn"
          data-testid="save"
          disabled={readOnly}
          onClick={() => void saveDesign(editor.design)}
          title="Save (Ctrl+S)"
        >
          Save
        </button>
        <button
          type="button"
          className="btn"
          data-testid="import"
          disabled={readOnly}
          onClick={() => fileInput.current?.click()}
          title={readOnly ? LEAVE_RUN_FIRST : "Import a design from a JSON file, or an experiment saved by NEPI (XML)"}
        >
          Import
        </button>
        <input
          ref={fileInput}
          type="file"
          accept="application/json,.json,application/xml,text/xml,.xml"
          data-testid="import-file"
          className="visually-hidden"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void importFile(editor, f);
            e.target.value = "";
          }}
        />
        <button
          type="button"
          className="btn"
          data-testid="export"
          disabled={empty}
          onClick={() => exportDesign(editor.design)}
          title="Download the design as a JSON file"
        >
          Export
        </button>
      </div>
      <div className="tool-group" role="group" aria-label="Edit">
        <button
          type="button"
          className="btn btn-icon"
          data-testid="undo"
          disabled={!canUndo}
          onClick={() => store().undo()}
          title="Undo (Ctrl+Z)"
          aria-label="Undo"
        >
          ↶
        </button>
        <button
          type="button"
          className="btn btn-icon"
          data-testid="redo"
          disabled={!canRedo}
          onClick={() => store().redo()}
          title="Redo (Ctrl+Shift+Z)"
          aria-label="Redo"
        >
          ↷
        </button>
        <button
          type="button"
          className="btn"
          data-testid="auto-layout"
          disabled={readOnly || empty || layouting}
          onClick={() => void runLayout()}
          title="Arrange the resources automatically"
        >
          Auto-layout
        </button>
        <button
          type="button"
          className="btn"
          data-testid="insert-topology"
          disabled={readOnly}
          onClick={() => setTopologyOpen(true)}
          title={readOnly ? LEAVE_RUN_FIRST : "Add a line, ring, star, tree or grid of emulated hosts and links"}
        >
          Insert topology…
        </button>
        <button
          type="button"
          className="btn"
          data-testid="fit-view"
          onClick={() => void flow.fitView({ padding: 0.2, maxZoom: 1.1, duration: 250 })}
          title="Show the whole design"
          aria-label="Fit view"
        >
          Fit
        </button>
      </div>
      <HostCheckButton />
      <RunOnHostsButton />
      <div className="toolbar-spacer" />
      <RunControls />
      {dialog && <ExperimentsDialog onClose={() => setDialog(false)} />}
      {topologyOpen && <InsertTopologyDialog onClose={() => setTopologyOpen(false)} />}
    </header>
  );
}
