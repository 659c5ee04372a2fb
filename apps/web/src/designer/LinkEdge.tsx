import { memo } from "react";
import { BaseEdge, useInternalNode, useStore, type EdgeProps, type ReactFlowState } from "@xyflow/react";
import { formatBitRate } from "@nepi/core";
import { useLinkCounters } from "../run/link-counters";
import { useRunStore } from "../run/store";
import { borderPoint, rectOf } from "./edges";
import type { LinkEdgeData } from "./link-edges";
import { COMPACT_BELOW_ZOOM } from "./ResourceNode";

const isFar = (s: ReactFlowState) => s.transform[2] < COMPACT_BELOW_ZOOM;

/** Whether the point (flow coordinates) is in view. */
function inViewAt(x: number, y: number) {
  return (s: ReactFlowState) => {
    const [tx, ty, k] = s.transform;
    const sx = x * k + tx;
    const sy = y * k + ty;
    return sx >= 0 && sy >= 0 && sx <= s.width && sy <= s.height;
  };
}

/**
 * A network link drawn as the line between the two resources it joins; dashed when it is down.
 * Far out it is the line alone and re-renders only when it fails or goes down: a thousand links
 * cost little while their hosts change state.
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
  const failed = useRunStore((st) => st.states[guid]?.state === "FAILED");
  const liveUp = useRunStore((st) => st.linkRates[guid]?.up);
  const far = useStore(isFar);
  const down = liveUp === undefined ? designedDown : !liveUp;
  const cls = `edge-netlink${selected ? " is-selected" : ""}${down ? " is-down" : ""}${failed ? " is-failed" : ""}`;
  return (
    <>
      <BaseEdge id={id} path={`M${p.x},${p.y} L${q.x},${q.y}`} className={cls} interactionWidth={16} />
      {!far && (
        <LinkLabel
          guid={guid}
          x={(p.x + q.x) / 2}
          y={(p.y + q.y) / 2}
          label={label}
          changes={changes}
          down={down}
          selected={!!selected}
        />
      )}
    </>
  );
});

/**
 * What a link's edge reads (zoomed in): its shaping, a ⚙ when an attribute condition changes it
 * during the run (the condition in the tooltip), and in a live run its throughput each way,
 * followed from its counters while the label is in view.
 */
function LinkLabel(props: {
  guid: number;
  x: number;
  y: number;
  label: string;
  changes: string;
  down: boolean;
  selected: boolean;
}) {
  const { guid, x, y, label, changes, down, selected } = props;
  const state = useRunStore((st) => st.states[guid]?.state ?? "NEW");
  const rate = useRunStore((st) => st.linkRates[guid]);
  useLinkCounters(guid, useStore(inViewAt(x, y)));
  const live = rate ? `→ ${formatBitRate(rate.forwardBps)} · ← ${formatBitRate(rate.backwardBps)}` : "";
  return (
    <g
      className={`netlink-label${selected ? " is-selected" : ""}`}
      data-testid="link-edge"
      data-guid={guid}
      data-down={down ? "true" : "false"}
      data-state={state}
      transform={`translate(${x} ${y})`}
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
  );
}
