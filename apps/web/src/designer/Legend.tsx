import { memo } from "react";
import { Panel } from "@xyflow/react";
import { STATE_ORDER, STATE_STYLE } from "../run/states";

/** The state colors, each with its name: a node's badge says the same in text. */
export const Legend = memo(function Legend() {
  return (
    <Panel position="bottom-left" className="legend" data-testid="state-legend">
      <div className="legend-title">States</div>
      <ul>
        {STATE_ORDER.map((s) => (
          <li key={s}>
            <span className="legend-swatch" style={{ background: STATE_STYLE[s].color }} />
            {STATE_STYLE[s].label}
          </li>
        ))}
      </ul>
      <div className="legend-title">Edges</div>
      <ul>
        <li>
          <span className="legend-line" /> connection
        </li>
        <li>
          <span className="legend-line is-dashed" /> condition
        </li>
      </ul>
    </Panel>
  );
});
