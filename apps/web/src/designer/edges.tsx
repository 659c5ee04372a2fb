import { memo } from "react";
import { BaseEdge, EdgeLabelRenderer, getSmoothStepPath, useInternalNode, type EdgeProps, type InternalNode } from "@xyflow/react";
import type { ConditionEdgeData } from "./model";
import { useDesignStore } from "./store";

type Point = { x: number; y: number };

function rectOf(n: InternalNode) {
  const w = n.measured.width ?? 200;
  const h = n.measured.height ?? 90;
  const { x, y } = n.internals.positionAbsolute;
  return { x, y, w, h, cx: x + w / 2, cy: y + h / 2 };
}

/** Where the line from the center of `a` towards `b`'s center leaves `a`'s box. */
function borderPoint(a: ReturnType<typeof rectOf>, b: Point): Point {
  const dx = b.x - a.cx;
  const dy = b.y - a.cy;
  if (dx === 0 && dy === 0) return { x: a.cx, y: a.cy };
  const sx = dx === 0 ? Infinity : a.w / 2 / Math.abs(dx);
  const sy = dy === 0 ? Infinity : a.h / 2 / Math.abs(dy);
  const s = Math.min(sx, sy);
  return { x: a.cx + dx * s, y: a.cy + dy * s };
}

/**
 * A connection (an application on its node) has no direction: it is drawn straight between the
 * two boxes' nearest borders, wherever they sit, rather than from fixed side handles.
 */
export const ConnectionEdge = memo(function ConnectionEdge({ id, source, target, selected, sourceX, sourceY, targetX, targetY }: EdgeProps) {
  const s = useInternalNode(source);
  const t = useInternalNode(target);
  let path = `M${sourceX},${sourceY} L${targetX},${targetY}`;
  if (s && t) {
    const a = rectOf(s);
    const b = rectOf(t);
    const p = borderPoint(a, { x: b.cx, y: b.cy });
    const q = borderPoint(b, { x: a.cx, y: a.cy });
    path = `M${p.x},${p.y} L${q.x},${q.y}`;
  }
  return <BaseEdge id={id} path={path} className={`edge-connection${selected ? " is-selected" : ""}`} interactionWidth={14} />;
});

/** A condition "ACTION after STATE + delay": dashed, with its rule written on it. */
export const ConditionEdge = memo(function ConditionEdge(props: EdgeProps) {
  const [path, labelX, labelY] = getSmoothStepPath({ ...props, borderRadius: 12 });
  const data = props.data as ConditionEdgeData | undefined;
  return (
    <>
      <BaseEdge path={path} markerEnd="url(#nepi-arrow)" className={`edge-condition${props.selected ? " is-selected" : ""}`} interactionWidth={14} />
      <EdgeLabelRenderer>
        <div
          className={`edge-label nodrag nopan${props.selected ? " is-selected" : ""}`}
          data-testid="condition-label"
          style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
          onClick={() => useDesignStore.getState().selectEdge(props.id)}
        >
          {data?.label}
        </div>
      </EdgeLabelRenderer>
    </>
  );
});
