import { memo, useEffect, useState } from "react";
import { BaseEdge, EdgeLabelRenderer, useInternalNode, type EdgeProps, type InternalNode } from "@xyflow/react";
import type { GateEvent } from "@nepi/core";
import { useRunStore } from "../run/store";
import { countdownLabel } from "./countdown";
import type { ConditionEdgeData } from "./model";
import { useDesignStore, useDesignStoreApi } from "./store";

type Point = { x: number; y: number };

export function rectOf(n: InternalNode) {
  const w = n.measured.width ?? 200;
  const h = n.measured.height ?? 90;
  const { x, y } = n.internals.positionAbsolute;
  return { x, y, w, h, cx: x + w / 2, cy: y + h / 2 };
}

/** Where the line from the center of `a` towards `b`'s center leaves `a`'s box. */
export function borderPoint(a: ReturnType<typeof rectOf>, b: Point): Point {
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
export const ConnectionEdge = memo(function ConnectionEdge({
  id,
  source,
  target,
  selected,
  sourceX,
  sourceY,
  targetX,
  targetY,
}: EdgeProps) {
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

/** How often a running countdown redraws (a tenth of a second is what it shows). */
const TICK_MS = 100;

/**
 * The label of a condition edge in the shown run: a countdown while its delay runs ("START in
 * 1.4 s"), its rule otherwise. The timer ticks only while a countdown shows.
 */
function useGateLabel(gate: GateEvent | undefined, label: string): string {
  const firesAt = gate?.status === "armed" ? gate.firesAt : undefined;
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (firesAt === undefined) return;
    const tick = () => setNow(Date.now());
    // The first tick at once: `now` may be from long before the gate armed.
    const first = setTimeout(tick, 0);
    const timer = setInterval(tick, TICK_MS);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  }, [firesAt]);
  return firesAt === undefined ? label : countdownLabel(gate!.action, firesAt - now);
}

/** Bend of a condition's curve, so it never lies on top of a connection between the same two. */
const BEND = 36;
/** Bend when the label does not fit between two boxes side by side: it goes over them instead. */
const HIGH_BEND = 130;

/**
 * A condition "ACTION after STATE + delay": a dashed curve from the awaited resource to the one
 * that waits, with an arrow and its rule written on it. Like connections, it runs between the
 * nearest borders of the two boxes.
 */
export const ConditionEdge = memo(function ConditionEdge({
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
  const s = useInternalNode(source);
  const t = useInternalNode(target);
  const design = useDesignStoreApi();
  let p: Point = { x: sourceX, y: sourceY };
  let q: Point = { x: targetX, y: targetY };
  if (s && t) {
    const a = rectOf(s);
    const b = rectOf(t);
    p = borderPoint(a, { x: b.cx, y: b.cy });
    q = borderPoint(b, { x: a.cx, y: a.cy });
  }
  const dx = q.x - p.x;
  const dy = q.y - p.y;
  const len = Math.hypot(dx, dy) || 1;
  const conditionId = (data as ConditionEdgeData | undefined)?.conditionId;
  // The run's document lists the conditions in the designer's order: its gate events name the index.
  const index = useDesignStore((st) => st.conditions.findIndex((c) => c.id === conditionId));
  const gate = useRunStore((st) => (index >= 0 ? st.gates[index] : undefined));
  const label = useGateLabel(gate, (data as ConditionEdgeData | undefined)?.label ?? "");
  const gateClass = gate?.status === "armed" ? " is-armed" : gate?.status === "opened" ? " is-fired" : "";
  const labelWidth = label.length * 6.5 + 24;
  const fits = Math.abs(dx) > Math.abs(dy) ? len > labelWidth : Math.abs(dy) > 30;
  const bend = fits ? BEND : HIGH_BEND;
  // Control point: the middle, pushed sideways (to the left of the direction of travel).
  const c = { x: (p.x + q.x) / 2 + (dy / len) * bend, y: (p.y + q.y) / 2 - (dx / len) * bend };
  const path = `M${p.x},${p.y} Q${c.x},${c.y} ${q.x},${q.y}`;
  const labelX = (p.x + 2 * c.x + q.x) / 4;
  const labelY = (p.y + 2 * c.y + q.y) / 4;
  return (
    <>
      <BaseEdge
        id={id}
        path={path}
        markerEnd="url(#nepi-arrow)"
        className={`edge-condition${selected ? " is-selected" : ""}${gateClass}`}
        interactionWidth={14}
      />
      <EdgeLabelRenderer>
        <div
          className={`edge-label nodrag nopan${selected ? " is-selected" : ""}${gateClass}`}
          data-testid="condition-label"
          data-gate={gate?.status}
          style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
          onClick={() => design.getState().selectEdge(id)}
        >
          {label}
        </div>
      </EdgeLabelRenderer>
    </>
  );
});
