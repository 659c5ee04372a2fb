import { Fragment, useMemo } from "react";
import { MachinePicker, hasMachine } from "./MachinePicker";
import {
  RESOURCE_ACTIONS,
  RESOURCE_STATES,
  isWaitable,
  isTimeString,
  patternProblem,
  showPattern,
  type AttributeDef,
  type ResourceAction,
  type ResourceState,
  type ResourceTypeInfo,
} from "@nepi/core";
import { useShallow } from "zustand/react/shallow";
import { AttributeField } from "./AttributeField";
import { useDesignStore, useDesignStoreApi } from "./store";
import { parseEdgeId } from "./edge-ids";
import {
  attributeConditionSentence,
  conditionLabel,
  type DesignAttributeCondition,
  type DesignCondition,
  type ResourceNode,
} from "./model";
import { settableAttributes } from "./settable";
import { TerminalButton } from "../terminal/TerminalButton";
import { RedeployButton } from "../run/RedeployButton";
import { WaitingOn } from "./WaitingOn";
import { SweepButton, sweepable } from "../campaign/SweepButton";

/** States a condition can wait for (NEW is where everything starts). */
/** What a condition may wait for (core's rule: FAILED included, RELEASED not). */
const AWAITABLE_STATES = RESOURCE_STATES.filter(isWaitable);
const TIME_HELP = "expected a time string such as 500ms, 2s, 1.5m, 1h, 10us";

/** One attribute condition of the selected resource: its sentence and, when editable, its fields. */
function AttributeConditionItem({
  condition,
  index,
  subject,
  settable,
  others,
  nameOf,
  readOnly,
}: {
  condition: DesignAttributeCondition;
  index: number;
  subject: number;
  settable: AttributeDef[];
  others: number[];
  nameOf: (guid: number) => string;
  readOnly: boolean;
}) {
  const store = useDesignStoreApi().getState();
  const at = `attributeConditions[${index}]`;
  const problems = useDesignStore(
    useShallow((s) => s.problems.filter((p) => p.path === at || p.path.startsWith(`${at}.`) || p.path.startsWith(`${at}[`))),
  );
  const def = settable.find((a) => a.name === condition.attribute);
  const delayBad = condition.delay !== undefined && condition.delay !== "" && !isTimeString(condition.delay);
  const update = (patch: Parameters<typeof store.updateAttributeCondition>[1]) =>
    store.updateAttributeCondition(condition.id, patch);
  // Awaited resources that are gone from the design still show, so the problem can be seen and fixed.
  const choices = [...others, ...condition.after.filter((g) => !others.includes(g))];
  const idBase = `attr-cond-${condition.id}`;
  return (
    <li className="attr-cond" data-testid="attr-cond" data-id={condition.id}>
      <p className="attr-cond-sentence" data-testid="attr-cond-sentence">
        {attributeConditionSentence(condition, nameOf, { subject })}
      </p>
      {problems.length > 0 && (
        <ul className="inspector-problems">
          {problems.map((p, i) => (
            <li key={i}>{p.message}</li>
          ))}
        </ul>
      )}
      {!readOnly && (
        <>
          <div className="field">
            <label className="field-label" htmlFor={`${idBase}-attribute`}>
              <span>attribute</span>
            </label>
            <select
              id={`${idBase}-attribute`}
              data-testid="attr-cond-attribute"
              value={condition.attribute}
              onChange={(e) => update({ attribute: e.target.value })}
            >
              {!def && <option value={condition.attribute}>{condition.attribute} (cannot be set during the run)</option>}
              {settable.map((a) => (
                <option key={a.name} value={a.name}>
                  {a.name}
                </option>
              ))}
            </select>
          </div>
          {def ? (
            <AttributeField
              key={def.name}
              def={{ ...def, required: false }}
              value={condition.value}
              disabled={false}
              testId="attr-cond-value"
              label="value"
              onChange={(v) => update({ value: v ?? "" })}
            />
          ) : null}
          <div className="field">
            <label className="field-label" htmlFor={`${idBase}-after`}>
              <span>once</span>
              <span className="field-type">{choices.length > 1 ? "Ctrl+click: several" : ""}</span>
            </label>
            <select
              id={`${idBase}-after`}
              data-testid="attr-cond-after"
              multiple
              size={Math.min(4, Math.max(2, choices.length))}
              value={condition.after.map(String)}
              onChange={(e) => update({ after: Array.from(e.target.selectedOptions, (o) => Number(o.value)) })}
            >
              {choices.map((g) => (
                <option key={g} value={g}>
                  {nameOf(g)}
                </option>
              ))}
            </select>
            <div className="field-help">The resources to wait for: every one of them must reach the state.</div>
          </div>
          <div className="attr-cond-row">
            <div className="field">
              <label className="field-label" htmlFor={`${idBase}-state`}>
                <span>reaches</span>
              </label>
              <select
                id={`${idBase}-state`}
                data-testid="attr-cond-state"
                value={condition.state}
                onChange={(e) => update({ state: e.target.value as ResourceState })}
              >
                {AWAITABLE_STATES.map((st) => (
                  <option key={st}>{st}</option>
                ))}
              </select>
            </div>
            <div className={`field${delayBad ? " has-error" : ""}`}>
              <label className="field-label" htmlFor={`${idBase}-delay`}>
                <span>plus</span>
                <span className="field-type">time</span>
              </label>
              <input
                id={`${idBase}-delay`}
                data-testid="attr-cond-delay"
                type="text"
                spellCheck={false}
                placeholder="no delay"
                value={condition.delay ?? ""}
                aria-invalid={delayBad || undefined}
                onChange={(e) => update({ delay: e.target.value })}
              />
            </div>
          </div>
          {delayBad && (
            <div className="field-error" role="alert" data-testid="attr-cond-delay-error">
              {TIME_HELP}
            </div>
          )}
          <button
            type="button"
            className="btn btn-small btn-danger"
            data-testid="attr-cond-remove"
            onClick={() => store.removeAttributeCondition(condition.id)}
          >
            Remove
          </button>
        </>
      )}
    </li>
  );
}

/** "Set during the run": NEPI's setWithConditions for the selected resource. */
function AttributeConditionsSection({
  guid,
  info,
  guids,
  nameOf,
  readOnly,
}: {
  guid: number;
  info: ResourceTypeInfo | undefined;
  guids: number[];
  nameOf: (guid: number) => string;
  readOnly: boolean;
}) {
  // The whole list changes identity only when an attribute condition is edited.
  const all = useDesignStore((s) => s.attributeConditions);
  const store = useDesignStoreApi().getState();
  const settable = useMemo(() => (info ? settableAttributes(info) : []), [info]);
  const others = guids.filter((g) => g !== guid);
  const mine = all.map((c, index) => ({ c, index })).filter(({ c }) => c.group.includes(guid));
  const cannotAdd = others.length
    ? null
    : "Add another resource first: the attribute is set once another resource reaches a state.";
  return (
    <>
      <h3 className="section-title">Set during the run</h3>
      {mine.length === 0 ? (
        <p className="muted small">
          {readOnly
            ? "None."
            : settable.length === 0
              ? `None: no attribute of ${info?.rtype ?? "this type"} can change during the run.`
              : "None. Change an attribute once other resources reach a state (NEPI's setWithConditions)."}
        </p>
      ) : (
        <ul className="attr-cond-list">
          {mine.map(({ c, index }) => (
            <AttributeConditionItem
              key={c.id}
              condition={c}
              index={index}
              subject={guid}
              settable={settable}
              others={others}
              nameOf={nameOf}
              readOnly={readOnly}
            />
          ))}
        </ul>
      )}
      {!readOnly && settable.length > 0 && (
        <button
          type="button"
          className="btn btn-small"
          data-testid="attr-cond-add"
          disabled={cannotAdd !== null}
          title={cannotAdd ?? "Set an attribute of this resource once other resources reach a state"}
          onClick={() => store.addAttributeCondition(guid)}
        >
          + Add
        </button>
      )}
      {!readOnly && settable.length > 0 && cannotAdd && <p className="muted small">{cannotAdd}</p>}
    </>
  );
}

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
  const store = useDesignStoreApi().getState();
  const traceDefs = info?.traces ?? [];
  const extraTraces = d.traces.filter((t) => !traceDefs.some((x) => x.name === t));

  return (
    <div className="inspector-body" data-testid="inspector" data-guid={d.guid}>
      <div className="inspector-title">
        <span className="inspector-type">{d.rtype}</span>
        <span className="muted">#{d.guid}</span>
        <TerminalButton guid={d.guid} />
      </div>
      {info && <p className="inspector-help">{info.help}</p>}
      {!info && <p className="field-error">Unknown resource type: {d.rtype}</p>}
      <RedeployButton guid={d.guid} />
      {problems.length > 0 && (
        <ul className="inspector-problems">
          {problems.map((p, i) => (
            <li key={i}>{p.message}</li>
          ))}
        </ul>
      )}
      <WaitingOn guid={d.guid} />
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

      {hasMachine(info) && <MachinePicker guid={d.guid} disabled={readOnly} />}

      <h3 className="section-title">Attributes</h3>
      {info?.attributes.map((def) => (
        <Fragment key={def.name}>
          <AttributeField
            def={def}
            value={d.attributes[def.name]}
            disabled={readOnly}
            onChange={(v) => store.setAttribute(d.guid, def.name, v)}
          />
          {!readOnly && sweepable(def) && <SweepButton label={d.label} def={def} value={d.attributes[def.name]} />}
        </Fragment>
      ))}

      {(traceDefs.length > 0 || extraTraces.length > 0) && (
        <>
          <h3 className="section-title">Traces</h3>
          <div className="trace-toggles">
            {[
              ...traceDefs.map((t) => ({ name: t.name, help: t.help })),
              ...extraTraces.map((t) => ({ name: t, help: "A file of the application." })),
            ].map((t) => (
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
              <button
                type="button"
                className="link-btn"
                onClick={() => store.select([c.source === d.guid ? c.target : c.source], { focus: true })}
              >
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
      <AttributeConditionsSection guid={d.guid} info={info} guids={guids} nameOf={nameOf} readOnly={readOnly} />
      {!readOnly && (
        <button type="button" className="btn btn-danger inspector-delete" onClick={() => store.deleteSelection()}>
          Delete resource
        </button>
      )}
    </div>
  );
}

/** A trace-match condition's trace, pattern and timeout (instead of the state). */
function TraceWaitFields({ condition, readOnly }: { condition: DesignCondition; readOnly: boolean }) {
  const store = useDesignStoreApi().getState();
  // The traces the awaited resources' types have (each must have the one chosen).
  const traceNames = useDesignStore(
    useShallow((s) => {
      const names = new Set<string>();
      for (const n of s.nodes)
        if (condition.after.includes(n.data.guid)) for (const t of s.catalog[n.data.rtype]?.traces ?? []) names.add(t.name);
      return [...names];
    }),
  );
  const traces =
    condition.trace !== undefined && !traceNames.includes(condition.trace) ? [condition.trace, ...traceNames] : traceNames;
  const pattern = condition.matches ?? "";
  const patternBad = patternProblem(pattern);
  return (
    <>
      <div className="field">
        <label className="field-label" htmlFor="cond-trace">
          <span>trace</span>
        </label>
        <select
          id="cond-trace"
          data-testid="cond-trace"
          disabled={readOnly}
          value={condition.trace}
          onChange={(e) => store.updateCondition(condition.id, { trace: e.target.value })}
        >
          {traces.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
        <div className="field-help">Followed live from when the awaited resource started (enable it on that resource).</div>
      </div>
      <div className={`field${patternBad ? " has-error" : ""}`}>
        <label className="field-label" htmlFor="cond-matches">
          <span>matches</span>
          <span className="field-type">regex</span>
        </label>
        <input
          id="cond-matches"
          data-testid="cond-matches"
          type="text"
          placeholder="e.g. listening on"
          disabled={readOnly}
          value={pattern}
          aria-invalid={!!patternBad || undefined}
          onChange={(e) => store.updateCondition(condition.id, { matches: e.target.value })}
        />
        {patternBad ? (
          <div className="field-error" role="alert">
            {patternBad}
          </div>
        ) : (
          <div className="field-help">A regular expression, tried on each line as it is printed.</div>
        )}
      </div>
      <TimeField
        name="timeout"
        placeholder="none (e.g. 30s)"
        value={condition.timeout}
        readOnly={readOnly}
        onChange={(timeout) => store.updateCondition(condition.id, { timeout })}
        help="Past it, counted from the awaited resource's start, the waiting resources fail."
      />
    </>
  );
}

/** A condition's time field (its delay, its timeout): the value, checked as it is typed. */
function TimeField(props: {
  name: "delay" | "timeout";
  placeholder: string;
  value: string | undefined;
  readOnly: boolean;
  onChange: (value: string) => void;
  help: string;
}) {
  const bad = !!props.value && !isTimeString(props.value);
  const id = `cond-${props.name}`;
  return (
    <div className={`field${bad ? " has-error" : ""}`}>
      <label className="field-label" htmlFor={id}>
        <span>{props.name}</span>
        <span className="field-type">time</span>
      </label>
      <input
        id={id}
        data-testid={id}
        type="text"
        placeholder={props.placeholder}
        disabled={props.readOnly}
        value={props.value ?? ""}
        aria-invalid={bad || undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {bad ? (
        <div className="field-error" role="alert">
          {TIME_HELP}
        </div>
      ) : (
        <div className="field-help">{props.help}</div>
      )}
    </div>
  );
}

function ConditionInspector({ condition, edgeId }: { condition: DesignCondition; edgeId: string }) {
  const readOnly = useDesignStore((s) => s.readOnly);
  const labelOf = useDesignStore(useShallow((s) => Object.fromEntries(s.nodes.map((n) => [n.data.guid, n.data.label]))));
  const firstTrace = useDesignStore((s) => {
    const n = s.nodes.find((x) => condition.after.includes(x.data.guid));
    const names = n ? (s.catalog[n.data.rtype]?.traces ?? []).map((t) => t.name) : [];
    return names.includes("stdout") ? "stdout" : names[0];
  });
  const store = useDesignStoreApi().getState();
  const name = (g: number) => `${labelOf[g] || "unnamed"} #${g}`;
  const onTrace = condition.trace !== undefined;
  return (
    <div className="inspector-body" data-testid="condition-inspector" data-edge={edgeId}>
      <div className="inspector-title">
        <span className="inspector-type">Condition</span>
      </div>
      <p className="condition-sentence">
        <b>{condition.action}</b> {condition.group.map(name).join(", ")} once {condition.after.map(name).join(", ")}{" "}
        {onTrace ? (
          <>
            printed a line of <b>{condition.trace}</b> matching <b>{showPattern(condition.matches ?? "")}</b>
          </>
        ) : (
          <>
            {condition.after.length > 1 ? "have" : "has"} reached <b>{condition.state}</b>
          </>
        )}
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
        <label className="field-label" htmlFor="cond-wait">
          <span>wait for</span>
        </label>
        <select
          id="cond-wait"
          data-testid="cond-wait"
          disabled={readOnly || (!onTrace && firstTrace === undefined)}
          value={onTrace ? "trace" : "state"}
          onChange={(e) =>
            store.updateCondition(
              condition.id,
              e.target.value === "trace" ? { trace: firstTrace, matches: "", state: "STARTED" } : { trace: undefined },
            )
          }
        >
          <option value="state">a state</option>
          <option value="trace">a line of a trace</option>
        </select>
        <div className="field-help">A state of the awaited resources, or something they print.</div>
      </div>
      {onTrace ? (
        <TraceWaitFields condition={condition} readOnly={readOnly} />
      ) : (
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
            {AWAITABLE_STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
          <div className="field-help">The state every awaited resource must reach.</div>
        </div>
      )}
      <TimeField
        name="delay"
        placeholder="none (e.g. 2s, 500ms)"
        value={condition.delay}
        readOnly={readOnly}
        onChange={(delay) => store.updateCondition(condition.id, { delay })}
        help={`Counted from the moment the last awaited resource ${onTrace ? "printed the match" : "reached the state"}.`}
      />
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
  const store = useDesignStoreApi().getState();
  return (
    <div className="inspector-body" data-testid="design-inspector">
      <div className="inspector-title">
        <span className="inspector-type">Experiment</span>
      </div>
      <div className="field">
        <label className="field-label" htmlFor="design-name">
          <span>name</span>
        </label>
        <input
          id="design-name"
          data-testid="design-name"
          value={name}
          disabled={readOnly}
          onChange={(e) => store.setName(e.target.value)}
        />
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
  const edgeId = useDesignStore((s) =>
    s.selectedEdgeIds.length === 1 && s.selectedGuids.length === 0 ? s.selectedEdgeIds[0]! : null,
  );
  const node = useDesignStore((s) =>
    s.selectedGuids.length === 1 ? s.nodes.find((n) => n.data.guid === s.selectedGuids[0]) : undefined,
  );
  const edge = edgeId ? parseEdgeId(edgeId) : null;
  const conditionId = edge?.kind === "condition" ? edge.conditionId : undefined;
  const condition = useDesignStore((s) => (conditionId ? s.conditions.find((c) => c.id === conditionId) : undefined));
  const connection = useDesignStore((s) => (edgeId && !conditionId ? s.connections.find((c) => c.id === edgeId) : undefined));
  const readOnly = useDesignStore((s) => s.readOnly);
  const design = useDesignStoreApi();

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
            <button type="button" className="btn btn-danger" onClick={() => design.getState().deleteSelection()}>
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
            <button type="button" className="btn btn-danger" onClick={() => design.getState().deleteSelection()}>
              Delete connection
            </button>
          )}
        </div>
      );
    }
    return <DesignInspector />;
  }, [node, selectedGuids.length, condition, connection, edgeId, readOnly, design]);

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
