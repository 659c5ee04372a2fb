import type { AttributeValue, RunDifference } from "@nepi/core";

const show = (v: AttributeValue | undefined) => (v === undefined ? "(unset)" : JSON.stringify(v));
const ms = (v: number | undefined) => (v === undefined ? "never" : `+${v} ms`);

/** What differs between two runs (core's diffRuns, from runs.diff): attributes, machine facts, each state's time. */
export function RunCompare({ diff, onClose }: { diff: RunDifference; onClose: () => void }) {
  return (
    <section className="run-compare" data-testid="run-compare" data-same={diff.same}>
      <header>
        <strong>{diff.same ? "Same attributes, machines and states reached" : "The runs differ"}</strong>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </header>
      <h4>Attributes</h4>
      {diff.attributes.length === 0 ? (
        <p className="dock-empty">the same</p>
      ) : (
        <ul>
          {diff.attributes.map((a) => (
            <li key={`${a.guid} ${a.attribute}`} data-testid="compare-attribute">
              {a.resource} {a.attribute}: {show(a.a)} → {show(a.b)}
            </li>
          ))}
        </ul>
      )}
      <h4>Machine facts</h4>
      {diff.facts.length === 0 ? (
        <p className="dock-empty">the same</p>
      ) : (
        <ul>
          {diff.facts.map((f) => (
            <li key={`${f.machine} ${f.fact}`} data-testid="compare-fact">
              {f.machine} {f.fact}: {f.a} → {f.b}
            </li>
          ))}
        </ul>
      )}
      <h4>Timing (after each run&apos;s first transition)</h4>
      <table>
        <tbody>
          {diff.timing.map((t) => (
            <tr key={`${t.guid} ${t.state}`} data-testid="compare-timing">
              <td>{t.resource}</td>
              <td>{t.state}</td>
              <td>{ms(t.a)}</td>
              <td>{ms(t.b)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
