import { memo, useMemo } from "react";
import type { Problem } from "@nepi/core";
import { useShallow } from "zustand/react/shallow";
import { useDesignStore, useDesignStoreApi } from "./store";
import { useRunStore } from "../run/store";

const ProblemRow = memo(function ProblemRow({ p, label }: { p: Problem; label?: string }) {
  // A problem of a resource selects it; one of the experiment itself opens its fields.
  const designField = p.guid === undefined && (p.path === "name" || p.path === "description") ? p.path : null;
  const clickable = p.guid !== undefined || designField !== null;
  const design = useDesignStoreApi();
  return (
    <li className={`problem problem-${p.severity ?? "error"}`} data-testid="problem" data-guid={p.guid} data-code={p.code}>
      <button
        type="button"
        className="problem-btn"
        disabled={!clickable}
        onClick={() => {
          if (p.guid !== undefined) design.getState().select([p.guid], { focus: true });
          else if (designField) {
            design.getState().select([]);
            requestAnimationFrame(() => document.getElementById(`design-${designField}`)?.focus());
          }
        }}
        title={p.guid !== undefined ? "Select the resource" : designField ? "Edit the experiment" : p.path}
      >
        <span className="problem-icon" aria-hidden="true">
          {p.severity === "warning" ? "!" : "×"}
        </span>
        <span className="problem-where">{label ?? (p.path || "design")}</span>
        <span className="problem-msg">{p.message}</span>
      </button>
    </li>
  );
});

/**
 * The live problems of the design (core's validateDocument, the backend's check) and the
 * failures of the run on show. A click selects the resource concerned.
 */
export function ProblemsList() {
  const designProblems = useDesignStore((s) => s.problems);
  const hostProblems = useDesignStore((s) => s.hostCheck.problems);
  const problems = useMemo(
    () => (hostProblems.length ? [...hostProblems, ...designProblems] : designProblems),
    [hostProblems, designProblems],
  );
  const failures = useRunStore((s) => s.failures);
  // Names only matter while something is listed; an empty list skips the walk over every node.
  const listed = problems.length + failures.length > 0;
  const labels = useDesignStore(useShallow((s) => (listed ? s.nodes.map((n) => n.data.label) : [])));
  const guids = useDesignStore(useShallow((s) => (listed ? s.nodes.map((n) => n.data.guid) : [])));
  const labelOf = (g: number | undefined) => {
    if (g === undefined) return undefined;
    const i = guids.indexOf(g);
    return i >= 0 && labels[i] ? `${labels[i]} #${g}` : `#${g}`;
  };
  const total = problems.length + failures.length;
  const readOnly = useDesignStore((s) => s.readOnly);
  return (
    <section className="problems" data-testid="problems" aria-label="Problems">
      <header className="dock-header">
        <h2>Problems</h2>
        <span className={`count-badge${total ? " is-bad" : " is-ok"}`} data-testid="problem-count">
          {total}
        </span>
      </header>
      {total === 0 ? (
        <p className="problems-empty">{readOnly ? "No problems in this run." : "No problems: the design can be deployed."}</p>
      ) : (
        <ul className="problem-list">
          {failures.map((f) => (
            <ProblemRow
              key={`f${f.guid}`}
              p={{ path: `run`, guid: f.guid, code: "RESOURCE_FAILED", message: `failed: ${f.reason}` }}
              label={labelOf(f.guid)}
            />
          ))}
          {problems.map((p, i) => (
            <ProblemRow
              key={`${p.path}|${i}`}
              p={p}
              label={p.guid !== undefined ? `${labelOf(p.guid)} · ${p.path}` : undefined}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
