import { memo } from "react";
import { BaseEdge, EdgeLabelRenderer, getBezierPath, getSmoothStepPath, type EdgeProps } from "@xyflow/react";
import type { ConditionEdgeData } from "./model";
import { useDesignStore } from "./store";

/** A connection between two resources (an application on its node): a plain solid line. */
export const ConnectionEdge = memo(function ConnectionEdge(props: EdgeProps) {
  const [path] = getBezierPath(props);
  return <BaseEdge path={path} markerEnd={props.markerEnd} className={`edge-connection${props.selected ? " is-selected" : ""}`} />;
});

/** A condition "ACTION after STATE + delay": dashed, with its rule written on it. */
export const ConditionEdge = memo(function ConditionEdge(props: EdgeProps) {
  const [path, labelX, labelY] = getSmoothStepPath({ ...props, borderRadius: 12 });
  const data = props.data as ConditionEdgeData | undefined;
  return (
    <>
      <BaseEdge path={path} markerEnd="url(#nepi-arrow)" className={`edge-condition${props.selected ? " is-selected" : ""}`} />
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
