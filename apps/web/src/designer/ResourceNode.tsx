import { memo } from "react";
import { summaryOf, valuesWithDefaults } from "@nepi/core";
import { Handle, Position, useStore, type NodeProps, type ReactFlowState } from "@xyflow/react";
import { useRunStore } from "../run/store";
import { STATE_STYLE } from "../run/states";
import type { ResourceNode as ResourceNodeType } from "./model";
import { waitingText } from "./WaitingOn";
import { useDesignStore } from "./store";
import { HostCheckMark } from "./HostChecks";

/** Below this zoom a node is drawn with its name and state only: a thousand stay cheap to draw. */
export const COMPACT_BELOW_ZOOM = 0.45;
const isFar = (s: ReactFlowState) => s.transform[2] < COMPACT_BELOW_ZOOM;

/**
 * One resource on the canvas. Memoized, and it reads its own live state with a selector on its
 * own guid: a burst of state changes re-renders only the nodes whose state changed.
 */
export const ResourceNode = memo(function ResourceNode({ data, selected }: NodeProps<ResourceNodeType>) {
  // Its state and reason as strings: a snapshot that says NEW again (a run begins) re-renders nothing.
  const state = useRunStore((s) => s.states[data.guid]?.state ?? "NEW");
  const reason = useRunStore((s) => s.states[data.guid]?.reason);
  // What it waits for in the shown live run: the node's hover says it.
  const waiting = waitingText(useRunStore((s) => s.waitingOn[data.guid]));
  const hover = reason ? `${data.label}: ${reason}` : waiting ? `${data.label || `#${data.guid}`} waits: ${waiting}` : undefined;
  const style = STATE_STYLE[state];
  const info = useDesignStore((s) => s.catalog[data.rtype]);
  // What tells two nodes apart at a glance, as the type's definition says ("ping 10.0.0.1").
  const summary = info ? summaryOf(info, valuesWithDefaults(info, data.attributes)) : undefined;
  const [backend, short] = data.rtype.split("::");
  const far = useStore(isFar);
  // A string selector: the node re-renders only when its own attribute conditions change.
  const setDuringRun = useDesignStore((s) => {
    let names = "";
    for (const c of s.attributeConditions) if (c.group.includes(data.guid)) names += names ? `, ${c.attribute}` : c.attribute;
    return names;
  });
  const handles = (
    <>
      <Handle
        type="target"
        position={Position.Top}
        id="cond-in"
        data-testid="handle-cond-in"
        className="handle-cond"
        title="Condition: this waits on…"
      />
      <Handle
        type="target"
        position={Position.Left}
        id="link-in"
        data-testid="handle-link-in"
        className="handle-link"
        title="Connect"
      />
      <Handle
        type="source"
        position={Position.Right}
        id="link-out"
        data-testid="handle-link-out"
        className="handle-link"
        title="Drag to connect to another resource"
      />
      <Handle
        type="source"
        position={Position.Bottom}
        id="cond-out"
        data-testid="handle-cond-out"
        className="handle-cond"
        title="Drag to add a condition: the other resource waits on this one"
      />
    </>
  );
  if (far) {
    return (
      <div
        className={`resource-node is-compact${selected ? " is-selected" : ""}${state === "FAILED" ? " is-failed" : ""}`}
        data-testid="resource-node"
        data-guid={data.guid}
        data-rtype={data.rtype}
        data-state={state}
        style={{ ["--state-color" as string]: style.color, background: style.color }}
        title={hover ?? data.label}
      >
        {handles}
        <div className="rn-label">{data.label || `#${data.guid}`}</div>
        <span className="state-badge">{style.label}</span>
      </div>
    );
  }
  return (
    <div
      className={`resource-node${selected ? " is-selected" : ""}${state === "FAILED" ? " is-failed" : ""}`}
      data-testid="resource-node"
      data-guid={data.guid}
      data-rtype={data.rtype}
      data-state={state}
      style={{ ["--state-color" as string]: style.color }}
      title={hover}
    >
      {handles}
      <div className="rn-head">
        <span className={`rn-backend rn-backend-${backend}`}>{backend}</span>
        <span className="rn-type">{short}</span>
        <span className="rn-guid">#{data.guid}</span>
      </div>
      <div className="rn-label" title={data.label}>
        {data.label || <em>unnamed</em>}
      </div>
      {summary !== undefined && (
        <div className="rn-summary" data-testid="node-summary" title={summary}>
          {summary}
        </div>
      )}
      <div className="rn-foot">
        <span className="state-badge" data-testid="state-badge" style={{ background: style.color }}>
          {style.label}
        </span>
        {setDuringRun && (
          <span className="rn-set" data-testid="set-badge" title={`Set during the run: ${setDuringRun}`}>
            ⚙ set
          </span>
        )}
        <HostCheckMark guid={data.guid} />
        {data.traces.length > 0 && (
          <span className="rn-traces" title={`Traces: ${data.traces.join(", ")}`}>
            {data.traces.join(" · ")}
          </span>
        )}
      </div>
      {state === "FAILED" && reason && (
        <div className="rn-reason" data-testid="failure-reason" title={reason}>
          {reason}
        </div>
      )}
    </div>
  );
});
