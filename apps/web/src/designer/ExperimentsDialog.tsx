import { useEffect, useRef, useState } from "react";
import { errorMessage } from "../api/trpc";
import { examplesAndSaved, listExperiments, openExperiment, type ExperimentSummary } from "./persistence";
import { useDesignStore } from "./store";
import { useEditor } from "../editor";

/** Open a saved experiment, or start from one of the examples the backend ships. */
export function ExperimentsDialog({ onClose }: { onClose(): void }) {
  const [rows, setRows] = useState<ExperimentSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState("");
  const unsaved = useDesignStore((s) => s.dirty && !s.readOnly && s.nodes.length > 0);
  const ref = useRef<HTMLDialogElement>(null);
  const editor = useEditor();

  useEffect(() => {
    ref.current?.showModal();
    listExperiments().then(setRows, (err) => setError(errorMessage(err)));
  }, []);

  const { examples, saved } = examplesAndSaved(rows ?? [], filter);

  const card = (r: ExperimentSummary) => (
    <li key={r.id}>
      <button
        type="button"
        className="experiment-card"
        data-testid="experiment-item"
        data-id={r.id}
        onClick={() => void openExperiment(editor, r.id).then((opened) => opened && onClose())}
      >
        <span className="experiment-name">{r.name}</span>
        {r.description && <span className="experiment-desc">{r.description}</span>}
        <span className="experiment-meta">
          {`${r.resourceCount} resource${r.resourceCount === 1 ? "" : "s"} · ${new Date(r.updatedAt).toLocaleString()}`}
        </span>
      </button>
    </li>
  );

  return (
    <dialog ref={ref} className="dialog" data-testid="open-dialog" onClose={onClose} onCancel={onClose}>
      <header className="dialog-header">
        <h2>Open an experiment</h2>
        <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      <input
        type="search"
        className="dialog-search"
        placeholder="Filter by name or description"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
      />
      {unsaved && (
        <p className="dialog-warning" role="note">
          The design on the canvas has unsaved changes: opening another replaces it. Save it first to keep it.
        </p>
      )}
      <div className="dialog-body">
        {error && <p className="field-error">Could not list the experiments: {error}</p>}
        {!rows && !error && <p className="muted">Loading…</p>}
        {rows && examples.length > 0 && (
          <section>
            <h3 className="section-title">Examples</h3>
            <ul className="experiment-grid" data-testid="examples">
              {examples.map(card)}
            </ul>
          </section>
        )}
        {rows && (
          <section>
            <h3 className="section-title">{examples.length ? "Saved experiments" : "Experiments"}</h3>
            {saved.length === 0 ? (
              <p className="muted">Nothing saved yet.</p>
            ) : (
              <ul className="experiment-grid">{saved.map(card)}</ul>
            )}
          </section>
        )}
      </div>
    </dialog>
  );
}
