import { useEffect, useMemo, useRef, useState } from "react";
import { TOPOLOGY_KINDS } from "@nepi/core";
import { useDesignStore, useDesignStoreApi } from "./store";
import {
  INITIAL_TOPOLOGY_FORM,
  SIZE_FIELDS,
  insertionPoint,
  machinesOf,
  previewTopology,
  specOf,
  type TopologyForm,
} from "./insert-topology";

const SIZE_LABELS = { hosts: "hosts", depth: "depth (levels)", fanout: "fanout (children)", rows: "rows", cols: "columns" };

/**
 * "Insert topology…": a line, ring, star, tree or grid of emulated hosts with the links' shaping,
 * made by core's generators and added as one undo step below the design.
 */
export function InsertTopologyDialog({ onClose }: { onClose(): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const design = useDesignStoreApi();
  const [form, setForm] = useState<TopologyForm>(INITIAL_TOPOLOGY_FORM);
  const nodes = useDesignStore((s) => s.nodes);
  const catalog = useDesignStore((s) => s.catalog);
  const machines = useMemo(() => machinesOf(nodes, catalog), [nodes, catalog]);
  const spec = useMemo(() => specOf(form), [form]);
  const preview = useMemo(() => previewTopology(spec), [spec]);
  const field = (name: keyof TopologyForm) => ({
    value: form[name],
    onChange: (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setForm({ ...form, [name]: e.target.value }),
    "data-testid": `topology-${name}`,
    "aria-invalid": !preview.ok && (preview.field === name || preview.field === `link.${name}`),
  });

  useEffect(() => {
    // In a browser only: the server-side render of the tests has no dialog to open.
    if (typeof ref.current?.showModal === "function" && !ref.current.open) ref.current.showModal();
  }, []);

  const insert = () => {
    const s = design.getState();
    if (s.insertTopology(spec, insertionPoint(s.nodes))) onClose();
  };

  return (
    <dialog ref={ref} className="dialog topology-dialog" data-testid="topology-dialog" onClose={onClose} onCancel={onClose}>
      <header className="dialog-header">
        <h2>Insert topology</h2>
        <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      <form
        className="dialog-body topology-form"
        onSubmit={(e) => {
          e.preventDefault();
          insert();
        }}
      >
        <label className="field">
          <span className="field-label">shape</span>
          <select {...field("kind")}>
            {TOPOLOGY_KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        {SIZE_FIELDS[form.kind].map((f) => (
          <label key={f} className="field">
            <span className="field-label">{SIZE_LABELS[f]}</span>
            <input type="number" min={1} step={1} {...field(f)} />
          </label>
        ))}
        <fieldset className="topology-links">
          <legend>Every link</legend>
          <label className="field">
            <span className="field-label">rate (tc: 10mbit, 512kbit; empty: unlimited)</span>
            <input type="text" {...field("rate")} />
          </label>
          <label className="field">
            <span className="field-label">delay (20ms; empty: none)</span>
            <input type="text" {...field("delay")} />
          </label>
          <label className="field">
            <span className="field-label">loss (%)</span>
            <input type="number" min={0} max={100} step="any" {...field("loss")} />
          </label>
        </fieldset>
        <label className="field">
          <span className="field-label">machine</span>
          <select {...field("machine")}>
            <option value="">this machine (localhost)</option>
            {machines.map((m) => (
              <option key={m.guid} value={String(m.guid)}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <p className={preview.ok ? "topology-preview" : "field-error"} role="status" data-testid="topology-preview">
          {preview.ok ? `Adds ${preview.text}.` : preview.message}
        </p>
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" data-testid="topology-insert" disabled={!preview.ok}>
            Insert
          </button>
        </div>
      </form>
    </dialog>
  );
}
