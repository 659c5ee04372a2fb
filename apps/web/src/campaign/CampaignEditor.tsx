import { useMemo } from "react";
import { METRIC_EXTRACTORS, type AttributeValue, type Campaign, type Metric, type Repetitions } from "@nepi/core";
import { useShallow } from "zustand/react/shallow";
import { useDesignStore, useDesignStoreApi } from "../designer/store";
import { formatValues, NEW_CAMPAIGN, newMetric, parseSweepValues } from "./edit";

const REGEX = "regex";

/** The campaign of the design, edited in place: its sweeps, its repetitions, its metrics. */
export function CampaignEditor() {
  const store = useDesignStoreApi();
  const campaign = useDesignStore((s) => s.campaign);
  const readOnly = useDesignStore((s) => s.readOnly);
  const nodes = useDesignStore((s) => s.nodes);
  const catalog = useDesignStore((s) => s.catalog);
  const resources = useMemo(
    () => nodes.map((n) => ({ label: n.data.label, traces: (catalog[n.data.rtype]?.traces ?? []).map((t) => t.name) })),
    [nodes, catalog],
  );
  const problems = useDesignStore(useShallow((s) => s.problems.filter((p) => p.path.startsWith("campaign"))));

  if (!campaign)
    return (
      <div className="campaign-editor">
        <p className="dock-empty">
          No campaign yet: press <em>Sweep this attribute…</em> next to an attribute in the inspector, or{" "}
          <button
            type="button"
            data-testid="campaign-add"
            disabled={readOnly}
            onClick={() => store.getState().setCampaign(NEW_CAMPAIGN)}
          >
            add a campaign
          </button>{" "}
          (repeated runs of the design as it is).
        </p>
      </div>
    );

  const set = (c: Campaign | undefined, field?: string) => store.getState().setCampaign(c, field);
  const reps = campaign.repetitions;
  const setReps = (r: Repetitions, field: string) => set({ ...campaign, repetitions: r }, field);
  const setMetric = (i: number, m: Metric, field: string) =>
    set({ ...campaign, metrics: campaign.metrics.map((x, j) => (j === i ? m : x)) }, `metric${i}.${field}`);

  return (
    <fieldset className="campaign-editor" disabled={readOnly}>
      <section>
        <h4>Parameters</h4>
        {campaign.parameters.length === 0 && <p className="dock-note">No sweep: every run is of the design as it is.</p>}
        {campaign.parameters.map((p, i) => (
          <div key={`${p.resource}.${p.attribute}`} className="campaign-row" data-testid="campaign-parameter">
            <code>
              {p.resource}.{p.attribute}
            </code>
            <ParameterValues
              resource={p.resource}
              attribute={p.attribute}
              text={formatValues(p.values)}
              onValues={(values) =>
                set({ ...campaign, parameters: campaign.parameters.map((x, j) => (j === i ? { ...x, values } : x)) })
              }
            />
            <button
              type="button"
              title="Stop sweeping this attribute"
              onClick={() => set({ ...campaign, parameters: campaign.parameters.filter((_, j) => j !== i) })}
            >
              Remove
            </button>
          </div>
        ))}
      </section>

      <section>
        <h4>Repetitions</h4>
        <div className="campaign-row">
          <select
            data-testid="campaign-reps-mode"
            value={"count" in reps ? "count" : "converge"}
            onChange={(e) =>
              setReps(
                e.target.value === "count"
                  ? { count: 3 }
                  : { min: 5, max: 30, metric: campaign.metrics[0]?.name ?? "", relError: 0.05, confidence: 0.95 },
                "mode",
              )
            }
          >
            <option value="count">a number of runs per point</option>
            <option value="converge">until the metric converges</option>
          </select>
          {"count" in reps ? (
            <NumberBox label="runs" testId="campaign-count" value={reps.count} onChange={(v) => setReps({ count: v }, "count")} />
          ) : (
            <>
              <NumberBox
                label="min"
                testId="campaign-min"
                value={reps.min}
                onChange={(v) => setReps({ ...reps, min: v }, "min")}
              />
              <NumberBox
                label="max"
                testId="campaign-max"
                value={reps.max}
                onChange={(v) => setReps({ ...reps, max: v }, "max")}
              />
              <label>
                metric{" "}
                <select value={reps.metric} onChange={(e) => setReps({ ...reps, metric: e.target.value }, "metric")}>
                  {!campaign.metrics.some((m) => m.name === reps.metric) && (
                    <option value={reps.metric}>{reps.metric || "—"}</option>
                  )}
                  {campaign.metrics.map((m) => (
                    <option key={m.name} value={m.name}>
                      {m.name}
                    </option>
                  ))}
                </select>
              </label>
              <NumberBox
                label="relative error"
                step="0.01"
                value={reps.relError}
                onChange={(v) => setReps({ ...reps, relError: v }, "relError")}
              />
              <NumberBox
                label="confidence"
                step="0.01"
                value={reps.confidence}
                onChange={(v) => setReps({ ...reps, confidence: v }, "confidence")}
              />
            </>
          )}
        </div>
      </section>

      <section>
        <h4>Metrics</h4>
        {campaign.metrics.map((m, i) => {
          const source = m.regex !== undefined ? REGEX : (m.extract ?? "duration");
          const needsTrace = source === REGEX || (source !== "duration" && source !== "exitCode");
          const traces = resources.find((r) => r.label === m.resource)?.traces ?? [];
          return (
            <div key={i} className="campaign-row" data-testid="campaign-metric">
              <input
                type="text"
                aria-label="metric name"
                data-testid="campaign-metric-name"
                value={m.name}
                onChange={(e) => setMetric(i, { ...m, name: e.target.value }, "name")}
              />
              <select
                aria-label="resource"
                value={m.resource}
                onChange={(e) => setMetric(i, { ...m, resource: e.target.value }, "resource")}
              >
                {!resources.some((r) => r.label === m.resource) && <option value={m.resource}>{m.resource}</option>}
                {resources.map((r) => (
                  <option key={r.label} value={r.label}>
                    {r.label}
                  </option>
                ))}
              </select>
              <select
                aria-label="read as"
                data-testid="campaign-metric-source"
                value={source}
                onChange={(e) => {
                  const { extract: _e, regex: _r, trace: _t, ...rest } = m;
                  const v = e.target.value;
                  const trace = v === "duration" || v === "exitCode" ? {} : { trace: m.trace ?? traces[0] ?? "stdout" };
                  setMetric(
                    i,
                    v === REGEX ? { ...rest, ...trace, regex: "([0-9.]+)" } : { ...rest, ...trace, extract: v },
                    "source",
                  );
                }}
              >
                {METRIC_EXTRACTORS.map((x) => (
                  <option key={x} value={x}>
                    {x}
                  </option>
                ))}
                <option value={REGEX}>regex over a trace</option>
              </select>
              {needsTrace && (
                <select
                  aria-label="trace"
                  value={m.trace ?? ""}
                  onChange={(e) => setMetric(i, { ...m, trace: e.target.value }, "trace")}
                >
                  {[...new Set([...(m.trace ? [m.trace] : []), ...traces])].map((t) => (
                    <option key={t} value={t}>
                      {t}
                    </option>
                  ))}
                </select>
              )}
              {source === REGEX && (
                <input
                  type="text"
                  aria-label="regex (its first group is the value)"
                  data-testid="campaign-metric-regex"
                  value={m.regex}
                  onChange={(e) => setMetric(i, { ...m, regex: e.target.value }, "regex")}
                />
              )}
              <button type="button" onClick={() => set({ ...campaign, metrics: campaign.metrics.filter((_, j) => j !== i) })}>
                Remove
              </button>
            </div>
          );
        })}
        <div className="campaign-row">
          <button
            type="button"
            data-testid="campaign-add-metric"
            disabled={resources.length === 0}
            onClick={() => set({ ...campaign, metrics: [...campaign.metrics, newMetric(resources[0]!.label, campaign.metrics)] })}
          >
            Add a metric
          </button>
          <button type="button" title="Remove the campaign from the design" onClick={() => set(undefined)}>
            Remove the campaign
          </button>
        </div>
      </section>
      {problems.length > 0 && (
        <ul className="campaign-problems" role="alert" data-testid="campaign-problems">
          {problems.map((p, i) => (
            <li key={i}>
              <code>{p.path}</code>: {p.message}
            </li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}

/** A number input that passes on numbers only (an empty or half-typed box changes nothing). */
function NumberBox(props: { label: string; value: number; onChange(v: number): void; testId?: string; step?: string }) {
  return (
    <label>
      {props.label}{" "}
      <input
        type="number"
        className="campaign-number"
        data-testid={props.testId}
        step={props.step ?? "1"}
        value={props.value}
        onChange={(e) => {
          const v = e.target.value.trim() === "" ? NaN : Number(e.target.value);
          if (Number.isFinite(v)) props.onChange(v);
        }}
      />
    </label>
  );
}

/** A sweep's values as text, parsed against the attribute's definition when the box is left. */
function ParameterValues(props: { resource: string; attribute: string; text: string; onValues(v: AttributeValue[]): void }) {
  const def = useDesignStore((s) => {
    const n = s.nodes.find((x) => x.data.label === props.resource);
    return n ? s.catalog[n.data.rtype]?.attributes.find((a) => a.name === props.attribute) : undefined;
  });
  return (
    <input
      type="text"
      key={props.text}
      aria-label={`values of ${props.resource}.${props.attribute}`}
      data-testid="campaign-parameter-values"
      defaultValue={props.text}
      onBlur={(e) => {
        if (!def) return;
        const parsed = parseSweepValues(def, e.target.value);
        if ("values" in parsed) props.onValues(parsed.values);
        else e.target.setCustomValidity(parsed.error);
      }}
    />
  );
}
