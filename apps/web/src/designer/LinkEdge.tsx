import { memo } from "react";
import { BaseEdge, useInternalNode, useStore, type EdgeProps, type ReactFlowState } from "@xyflow/react";
import { formatBitRate } from "@nepi/core";
import { useLinkCounters } from "../run/link-counters";
import { useRunStore } from "../run/store";
import { borderPoint, rectOf } from "./edges";
import type { LinkEdgeData } from "./link-edges";
import { COMPACT_BELOW_ZOOM } from "./ResourceNode";

const isFar = (s: ReactFlowState) => s.transform[2] < COMPACT_BELOW_ZOOM;

/** Whether the point (flow coordinates) is in view and the view is zoomed in enough to read a label. */
function readableAt(x: number, y: number) {
  return (s: ReactFlowState) => {
    const [tx, ty, k] = s.transform;
    if (k < COMPACT_BELOW_ZOOM) return false;
    const sx = x * k + tx;
    const sy = y * k + ty;
    return sx >= 0 && sy >= 0 && sx <= s.width && sy <= s.height;
  };
}

/**
 * A network link drawn as the line between the two resources it joins: its shaping written on
 * it, a ⚙ when an attribute condition changes it during the run (the condition in the tooltip),
 * and in a live run its throughput each way; dashed when it is down.
 */
export const LinkEdge = memo(function LinkEdge({
  id,
  source,
  target,
  selected,
  data,
  sourceX,
  sourceY,
  targetX,
  targetY,
}: EdgeProps) {
  const { guid, label, changes, down: designedDown } = data as LinkEdgeData;
  const s = useInternalNode(source);
  const t = useInternalNode(target);
  let p = { x: sourceX, y: sourceY };
  let q = { x: targetX, y: targetY };
  if (s && t) {
    const a = rectOf(s);
    const b = rectOf(t);
    p = borderPoint(a, { x: b.cx, y: b.cy });
    q = borderPoint(b, { x: a.cx, y: a.cy });
  }
  const mx = (p.x + q.x) / 2;
  const my = (p.y + q.y) / 2;
  const state = useRunStore((st) => st.states[guid]?.state);
  const rate = useRunStore((st) => st.linkRates[guid]);
  const readable = useStore(readableAt(mx, my));
  // Far out the labels are not readable: a thousand links draw their lines only.
  const far = useStore(isFar);
  useLinkCounters(guid, readable);
  const down = rate ? !rate.up : designedDown;
  const live = rate ? `→ ${formatBitRate(rate.forwardBps)} · ← ${formatBitRate(rate.backwardBps)}` : "";
  const cls = `edge-netlink${selected ? " is-selected" : ""}${down ? " is-down" : ""}${state === "FAILED" ? " is-failed" : ""}`;
  return (
    <>
      <BaseEdge id={id} path={`M${p.x},${p.y} L${q.x},${q.y}`} className={cls} interactionWidth={16} />
      {!far && (
        <g
          className={`netlink-label${selected ? " is-selected" : ""}`}
          data-testid="link-edge"
          data-guid={guid}
          data-down={down ? "true" : "false"}
          data-state={state ?? "NEW"}
          transform={`translate(${mx} ${my})`}
        >
          {label && (
            <text className="netlink-shaping" data-testid="link-shaping" y={-6} textAnchor="middle">
              {label}
            </text>
          )}
          {changes && (
            <text className="netlink-changes" data-testid="link-changes" y={label ? -20 : -6} textAnchor="middle">
              <title>{`Changes during the run: ${changes}`}</title>⚙
            </text>
          )}
          {(live || down) && (
            <text className="netlink-live" data-testid="link-throughput" y={12} textAnchor="middle">
              {down ? "down" : live}
            </text>
          )}
        </g>
      )}
    </>
  );
});
