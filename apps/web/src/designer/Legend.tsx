import { memo } from "react";
import { STATE_ORDER, STATE_STYLE } from "../run/states";

/** The state colors, each with its name (a node's badge says the same in text), and the edge styles. */
export const Legend = memo(function Legend() {
  return (
    <div className="legend" data-testid="state-legend" aria-label="Legend">
      <ul>
        {STATE_ORDER.map((s) => (
          <li key={s}>
            <span className="legend-swatch" style={{ background: STATE_STYLE[s].color }} />
            {STATE_STYLE[s].label}
          </li>
        ))}
      </ul>
      <span className="legend-sep legend-edges" aria-hidden="true" />
      <ul className="legend-edges">
        <li>
          <span className="legend-line" /> connection
        </li>
        <li>
          <span className="legend-line is-dashed" /> condition
        </li>
      </ul>
    </div>
  );
});
