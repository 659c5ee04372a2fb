import { useMemo } from "react";
import { RESOURCE_ACTIONS, RESOURCE_STATES, isTimeString, type ResourceAction, type ResourceState } from "@nepi/core";
import { useShallow } from "zustand/react/shallow";
import { AttributeField } from "./AttributeField";
import { useDesignStore } from "./store";
import { conditionLabel, type DesignCondition, type ResourceNode } from "./model";

function ResourceInspector({ node }: { node: ResourceNode }) {
  const d = node.data;
  const info = useDesignStore((s) => s.catalog[d.rtype]);
  const readOnly = useDesignStore((s) => s.readOnly);
  const problems = useDesignStore(useShallow((s) => s.problems.filter((p) => p.guid === d.guid)));
  const links = useDesignStore(useShallow((s) => s.connections.filter((c) => c.source === d.guid || c.target === d.guid)));
  const labels = useDesignStore(useShallow((s) => s.nodes.map((n) => n.data.label)));
  const guids = useDesignStore(useShallow((s) => s.nodes.map((n) => n.data.guid)));
  const nameOf = (g: number) => {
    const i = guids.indexOf(g);
    return i >= 0 ? `${labels[i] || "unnamed"} #${g}` : `#${g}`;
  };
  const conditions = useDesignStore(
    useShallow((s) => s.conditions.filter((c) => c.group.includes(d.guid) || c.after.includes(d.guid))),
  );
  const store = useDesignStore.getState();
  const traceDefs = info?.traces ?? [];
  const extraTraces = d.traces.filter((t) => !traceDefs.some((x) => x.name === t));

  return (
    <div className="inspector-body" data-testid="inspector" data-guid={d.guid}>
      <div className="inspector-title">
        <span className="inspector-type">{d.rtype}</span>
        <span className="muted">#{d.guid}</span>
      </div>
      {info && <p className="inspector-help">{info.help}</p>}
      {!info && <p className="field-error">Unknown resource type: {d.rtype}</p>}
      {problems.length > 0 && (
        <ul className="inspector-problems">
          {problems.map((p, i) => (
            <li key={i}>{p.message}</li>
          ))}
        </ul>
      )}
      <div className="field">
        <label className="field-label" htmlFor="resource-label">
          <span>label</span>
        </label>
        <input
          id="resource-label"
          data-testid="resource-label"
          type="text"
          value={d.label}
          disabled={readOnly}
          onChange={(e) => store.setLabel(d.guid, e.target.value)}
        />
      </div>

      <h3 className="section-title">Attributes</h3>
      {info?.attributes.map((def) => (
        <AttributeField
          key={def.name}
          def={def}
          value={d.attributes[def.name]}
          disabled={readOnly}
          onChange={(v) => store.setAttribute(d.guid, def.name, v)}
        />
      ))}

      {(traceDefs.length > 0 || extraTraces.length > 0) && (
        <>
          <h3 className="section-title">Traces</h3>
          <div className="trace-toggles">
            {[...traceDefs.map((t) => ({ name: t.name, help: t.help })), ...extraTraces.map((t) => ({ name: t, help: "A file of the application." }))].map((t) => (
              <label key={t.name} className="switch trace-toggle" title={t.help}>
                <input
                  type="checkbox"
                  role="switch"
                  data-testid={`trace-${t.name}`}
                  checked={d.traces.includes(t.name)}
                  disabled={readOnly}
                  onChange={(e) => store.setTrace(d.guid, t.name, e.target.checked)}
                />
                <span className="switch-track" aria-hidden="true" />
                <span className="switch-text">{t.name}</span>
              </label>
            ))}
          </div>
        </>
      )}

      <h3 className="section-title">Connections</h3>
      {links.length === 0 ? (
        <p className="muted small">None. Drag from a side handle to another resource.</p>
      ) : (
        <ul className="plain-list">
          {links.map((c) => (
            <li key={c.id}>
              <button type="button" className="link-btn" onClick={() => store.select([c.source === d.guid ? c.target : c.source], { focus: true })}>
                {nameOf(c.source === d.guid ? c.target : c.source)}
              </button>
            </li>
          ))}
        </ul>
      )}
      <h3 className="section-title">Conditions</h3>
      {conditions.length === 0 ? (
        <p className="muted small">None. Drag from the bottom handle to the resource that should wait.</p>
      ) : (
        <ul className="plain-list">
          {conditions.map((c) => (
            <li key={c.id}>
              <button
                type="button"
                className="link-btn"
                onClick={() => store.selectEdge(`${c.id}:${c.after[0]}>${c.group[0]}`)}
                title="Edit this condition"
              >
                {c.group.map(nameOf).join(", ")}: {conditionLabel(c)} of {c.after.map(nameOf).join(", ")}
              </button>
            </li>
          ))}
        </ul>
      )}
      {!readOnly && (
        <button type="button" className="btn btn-danger inspector-delete" onClick={() => store.deleteSelection()}>
          Delete resource
        </button>
      )}
    </div>
  );
}

function ConditionInspector({ condition, edgeId }: { condition: DesignCondition; edgeId: string }) {
  const readOnly = useDesignStore((s) => s.readOnly);
  const labelOf = useDesignStore(useShallow((s) => Object.fromEntries(s.nodes.map((n) => [n.data.guid, n.data.label]))));
  const store = useDesignStore.getState();
  const delayBad = condition.delay !== undefined && condition.delay !== "" && !isTimeString(condition.delay);
  const name = (g: number) => `${labelOf[g] || "unnamed"} #${g}`;
  return (
    <div className="inspector-body" data-testid="condition-inspector" data-edge={edgeId}>
      <div className="inspector-title">
        <span className="inspector-type">Condition</span>
      </div>
      <p className="condition-sentence">
        <b>{condition.action}</b> {condition.group.map(name).join(", ")} once {condition.after.map(name).join(", ")}{" "}
        {condition.after.length > 1 ? "have" : "has"} reached <b>{condition.state}</b>
        {condition.delay ? (
          <>
            , plus <b>{condition.delay}</b>
          </>
        ) : null}
        .
      </p>
      <div className="field">
        <label className="field-label" htmlFor="cond-action">
          <span>action</span>
        </label>
        <select
          id="cond-action"
          data-testid="cond-action"
          disabled={readOnly}
          value={condition.action}
          onChange={(e) => store.updateCondition(condition.id, { action: e.target.value as ResourceAction })}
        >
          {RESOURCE_ACTIONS.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
        <div className="field-help">What the waiting resources do.</div>
      </div>
      <div className="field">
        <label className="field-label" htmlFor="cond-state">
          <span>after state</span>
        </label>
        <select
          id="cond-state"
          data-testid="cond-state"
          disabled={readOnly}
          value={condition.state}
          onChange={(e) => store.updateCondition(condition.id, { state: e.target.value as ResourceState })}
        >
          {RESOURCE_STATES.filter((s) => s !== "NEW").map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <div className="field-help">The state every awaited resource must reach.</div>
      </div>
      <div className={`field${delayBad ? " has-error" : ""}`}>
        <label className="field-label" htmlFor="cond-delay">
          <span>delay</span>
          <span className="field-type">time</span>
        </label>
        <input
          id="cond-delay"
          data-testid="cond-delay"
          type="text"
          placeholder="none (e.g. 2s, 500ms)"
          disabled={readOnly}
          value={condition.delay ?? ""}
          aria-invalid={delayBad || undefined}
          onChange={(e) => store.updateCondition(condition.id, { delay: e.target.value })}
        />
        {delayBad ? (
          <div className="field-error" role="alert">
            expected a time string such as 500ms, 2s, 1.5m, 1h, 10us
          </div>
        ) : (
          <div className="field-help">Counted from the moment the last awaited resource reached the state.</div>
        )}
      </div>
      {!readOnly && (
        <button type="button" className="btn btn-danger inspector-delete" onClick={() => store.removeCondition(condition.id)}>
          Delete condition
        </button>
      )}
    </div>
  );
}

function DesignInspector() {
  const name = useDesignStore((s) => s.name);
  const description = useDesignStore((s) => s.description ?? "");
  const count = useDesignStore((s) => s.nodes.length);
  const readOnly = useDesignStore((s) => s.readOnly);
  const store = useDesignStore.getState();
  return (
    <div className="inspector-body" data-testid="design-inspector">
      <div className="inspector-title">
        <span className="inspector-type">Experiment</span>
      </div>
      <div className="field">
        <label className="field-label" htmlFor="design-name">
          <span>name</span>
        </label>
        <input id="design-name" data-testid="design-name" value={name} disabled={readOnly} onChange={(e) => store.setName(e.target.value)} />
      </div>
      <div className="field">
        <label className="field-label" htmlFor="design-description">
          <span>description</span>
        </label>
        <textarea
          id="design-description"
          rows={3}
          value={description}
          disabled={readOnly}
          onChange={(e) => store.setDescription(e.target.value)}
        />
      </div>
      <p className="muted small">
        {count} resource{count === 1 ? "" : "s"}. Select a resource or a condition to edit it. Shift+drag selects an area;
        Ctrl+click adds to the selection.
      </p>
      <h3 className="section-title">Shortcuts</h3>
      <dl className="shortcuts">
        <dt>Del</dt>
        <dd>delete the selection</dd>
        <dt>Ctrl+C / Ctrl+V</dt>
        <dd>copy / paste</dd>
        <dt>Ctrl+Z / Ctrl+Shift+Z</dt>
        <dd>undo / redo</dd>
        <dt>Ctrl+A / Esc</dt>
        <dd>select all / none</dd>
        <dt>Ctrl+S</dt>
        <dd>save</dd>
      </dl>
    </div>
  );
}

export function Inspector() {
  const selectedGuids = useDesignStore(useShallow((s) => s.selectedGuids));
  const edgeId = useDesignStore((s) => (s.selectedEdgeIds.length === 1 && s.selectedGuids.length === 0 ? s.selectedEdgeIds[0]! : null));
  const node = useDesignStore((s) => (s.selectedGuids.length === 1 ? s.nodes.find((n) => n.data.guid === s.selectedGuids[0]) : undefined));
  const conditionId = edgeId?.includes(":") ? edgeId.split(":")[0] : undefined;
  const condition = useDesignStore((s) => (conditionId ? s.conditions.find((c) => c.id === conditionId) : undefined));
  const connection = useDesignStore((s) => (edgeId && !conditionId ? s.connections.find((c) => c.id === edgeId) : undefined));
  const readOnly = useDesignStore((s) => s.readOnly);

  const body = useMemo(() => {
    if (node) return <ResourceInspector key={node.data.guid} node={node} />;
    if (selectedGuids.length > 1) {
      return (
        <div className="inspector-body" data-testid="multi-inspector">
          <div className="inspector-title">
            <span className="inspector-type">{selectedGuids.length} resources selected</span>
          </div>
          <p className="muted small">Ctrl+C copies them with the connections and conditions among them.</p>
          {!readOnly && (
            <button type="button" className="btn btn-danger" onClick={() => useDesignStore.getState().deleteSelection()}>
              Delete {selectedGuids.length} resources
            </button>
          )}
        </div>
      );
    }
    if (condition && edgeId) return <ConditionInspector key={condition.id} condition={condition} edgeId={edgeId} />;
    if (connection) {
      return (
        <div className="inspector-body">
          <div className="inspector-title">
            <span className="inspector-type">Connection</span>
          </div>
          <p className="muted">
            #{connection.source} ↔ #{connection.target}
          </p>
          {!readOnly && (
            <button type="button" className="btn btn-danger" onClick={() => useDesignStore.getState().deleteSelection()}>
              Delete connection
            </button>
          )}
        </div>
      );
    }
    return <DesignInspector />;
  }, [node, selectedGuids.length, condition, connection, edgeId, readOnly]);

  return (
    <aside className="inspector panel" aria-label="Inspector">
      <div className="panel-header">
        <h2>Inspector</h2>
        {readOnly && <span className="pill">read-only</span>}
      </div>
      {body}
    </aside>
  );
}
