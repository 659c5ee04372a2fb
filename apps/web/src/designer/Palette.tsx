import { memo, useMemo, useState } from "react";
import { useReactFlow } from "@xyflow/react";
import { HOST_ROLE, describeRule, hasRole, type ResourceTypeInfo } from "@nepi/core";
import { useDesignStore, useDesignStoreApi } from "./store";

/** The drag payload of a palette item: its rtype. */
export const PALETTE_MIME = "application/x-nepi-rtype";

function matches(t: ResourceTypeInfo, q: string): boolean {
  if (!q) return true;
  const text = `${t.rtype} ${t.help} ${t.attributes.map((a) => a.name).join(" ")}`.toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => text.includes(w));
}

const PaletteItem = memo(function PaletteItem({
  info,
  onAdd,
  disabled,
}: {
  info: ResourceTypeInfo;
  onAdd: (rtype: string) => void;
  disabled: boolean;
}) {
  const [open, setOpen] = useState(false);
  const short = info.rtype.split("::")[1] ?? info.rtype;
  return (
    <li
      className={`palette-item${open ? " is-open" : ""}`}
      data-testid="palette-item"
      data-rtype={info.rtype}
      draggable={!disabled}
      tabIndex={0}
      title={`${info.rtype} — drag onto the canvas (or double-click) to add`}
      onDragStart={(e) => {
        e.dataTransfer.setData(PALETTE_MIME, info.rtype);
        e.dataTransfer.effectAllowed = "copy";
      }}
      onDoubleClick={() => !disabled && onAdd(info.rtype)}
      onKeyDown={(e) => {
        if (e.key === "Enter" && !disabled) onAdd(info.rtype);
      }}
    >
      <div className="palette-item-row">
        <span className={`palette-icon rn-backend-${info.backend}`} aria-hidden="true">
          {info.look.abbreviation}
        </span>
        <span className="palette-name">{short}</span>
        <button
          type="button"
          className="icon-btn palette-help-btn"
          aria-expanded={open}
          aria-label={`Help on ${info.rtype}`}
          title="Help"
          onClick={() => setOpen((o) => !o)}
        >
          ?
        </button>
      </div>
      <div className="palette-help">{info.help}</div>
      {open && (
        <div className="palette-details" data-testid="palette-help">
          {info.connections.length > 0 && (
            <p>
              <b>Connects to:</b> {info.connections.map(describeRule).join(", ")}
            </p>
          )}
          {info.traces.length > 0 && (
            <p>
              <b>Traces:</b> {info.traces.map((t) => t.name).join(", ")}
            </p>
          )}
          <p>
            <b>Attributes:</b> {info.attributes.map((a) => a.name + (a.required ? "*" : "")).join(", ")}
          </p>
        </div>
      )}
    </li>
  );
});

export function Palette() {
  const catalog = useDesignStore((s) => s.catalog);
  const readOnly = useDesignStore((s) => s.readOnly);
  const design = useDesignStoreApi();
  const [query, setQuery] = useState("");
  const flow = useReactFlow();

  const groups = useMemo(() => {
    const byGroup = new Map<string, ResourceTypeInfo[]>();
    for (const t of Object.values(catalog)) {
      if (!matches(t, query)) continue;
      const list = byGroup.get(t.look.group) ?? [];
      list.push(t);
      byGroup.set(t.look.group, list);
    }
    // Within a group, hosts (what the others run on) come first, then by name.
    const rank = (t: ResourceTypeInfo) => (hasRole(t, HOST_ROLE) ? 0 : 1);
    for (const list of byGroup.values()) list.sort((a, b) => rank(a) - rank(b) || a.rtype.localeCompare(b.rtype));
    return [...byGroup.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [catalog, query]);

  // Keyboard and double-click users get the new resource in the middle of the view.
  const addAtCenter = (rtype: string) => {
    const el = document.querySelector(".canvas")?.getBoundingClientRect();
    const center = el ? { x: el.left + el.width / 2, y: el.top + el.height / 2 } : { x: 400, y: 300 };
    const p = flow.screenToFlowPosition(center);
    design.getState().addResource(rtype, { x: p.x - 100, y: p.y - 40 });
  };

  return (
    <aside className="palette panel" aria-label="Resource types">
      <div className="panel-header">
        <h2>Resources</h2>
      </div>
      <div className="palette-search">
        <input
          type="search"
          placeholder="Search types, help, attributes…"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          data-testid="palette-search"
          aria-label="Search resource types"
        />
      </div>
      <div className="palette-groups">
        {groups.length === 0 && <p className="muted pad">No resource type matches “{query}”.</p>}
        {groups.map(([group, types]) => (
          <section key={group} className="palette-group" data-testid="palette-group" data-group={group}>
            <h3>{group}</h3>
            <ul>
              {types.map((t) => (
                <PaletteItem key={t.rtype} info={t} onAdd={addAtCenter} disabled={readOnly} />
              ))}
            </ul>
          </section>
        ))}
      </div>
      <p className="palette-tip muted">Drag onto the canvas, or double-click.</p>
    </aside>
  );
}
