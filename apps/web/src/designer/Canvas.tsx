import { useCallback, useEffect, useMemo } from "react";
import {
  Background,
  BackgroundVariant,
  ConnectionMode,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  useStore,
  type Connection,
  type ConnectionLineComponentProps,
  type Edge,
  type FinalConnectionState,
  type IsValidConnection,
  type Node,
} from "@xyflow/react";
import { COMPACT_BELOW_ZOOM, ResourceNode } from "./ResourceNode";
import { ConditionEdge, ConnectionEdge } from "./edges";
import { LinkEdge } from "./LinkEdge";
import { resourceEdgeId } from "./edge-ids";
import { useDesignStore, useDesignStoreApi, type DesignStore } from "./store";
import { withSelection } from "./slices/selection";
import type { Check } from "./rules";
import { PALETTE_MIME } from "./Palette";
import { useEditor } from "../editor";

const nodeTypes = { resource: ResourceNode };
const edgeTypes = { connection: ConnectionEdge, condition: ConditionEdge, link: LinkEdge };

/** Above this many nodes only the visible ones are rendered (1,000 stay smooth). */
const VIRTUALIZE_FROM = 150;
const SNAP_GRID: [number, number] = [10, 10];

type Ends = Pick<Connection, "source" | "target" | "sourceHandle" | "targetHandle">;

/** A side handle links resources; the bottom → top handles draw a condition. */
function checkEnds(design: DesignStore, c: Ends): Check & { kind?: "link" | "condition" } {
  const condFrom = c.sourceHandle === "cond-out";
  const condTo = c.targetHandle === "cond-in";
  if (condFrom !== condTo) {
    return {
      ok: false,
      reason:
        "a condition goes from the bottom handle to the top handle of another resource; a connection joins the side handles",
    };
  }
  const source = Number(c.source);
  const target = Number(c.target);
  if (condFrom) {
    if (source === target) return { ok: false, reason: "a resource cannot wait on itself" };
    return { ok: true, kind: "condition" };
  }
  const check = design.getState().checkConnection(source, target);
  return check.ok ? { ok: true, kind: "link" } : check;
}

/** The line drawn while connecting: red with the reason when the drop would be refused. */
function ConnectionLine({
  fromX,
  fromY,
  toX,
  toY,
  fromNode,
  fromHandle,
  toNode,
  toHandle,
  connectionStatus,
}: ConnectionLineComponentProps) {
  const design = useDesignStoreApi();
  let reason: string | null = null;
  if (connectionStatus === "invalid" && toNode && toHandle) {
    const fromIsSource = fromHandle.type === "source";
    const check = checkEnds(design, {
      source: fromIsSource ? fromNode.id : toNode.id,
      sourceHandle: fromIsSource ? (fromHandle.id ?? null) : (toHandle.id ?? null),
      target: fromIsSource ? toNode.id : fromNode.id,
      targetHandle: fromIsSource ? (toHandle.id ?? null) : (fromHandle.id ?? null),
    });
    if (!check.ok) reason = check.reason;
  }
  const cond = fromHandle.id?.startsWith("cond");
  const cls = `connection-line${cond ? " is-condition" : ""}${connectionStatus === "invalid" ? " is-invalid" : ""}${connectionStatus === "valid" ? " is-valid" : ""}`;
  return (
    <g className={cls}>
      <path
        d={`M${fromX},${fromY} C ${fromX + (toX - fromX) / 2},${fromY} ${fromX + (toX - fromX) / 2},${toY} ${toX},${toY}`}
        fill="none"
      />
      <circle cx={toX} cy={toY} r={4} />
      {reason && (
        <foreignObject x={toX + 12} y={toY + 8} width={300} height={80} className="connection-reason-box">
          <div className="connection-reason" data-testid="connection-refused-hint">
            {reason}
          </div>
        </foreignObject>
      )}
    </g>
  );
}

export function Canvas() {
  const design = useDesignStoreApi();
  const editor = useEditor();
  const designNodes = useDesignStore((s) => s.nodes);
  const designEdges = useDesignStore((s) => s.edges);
  const selectedGuids = useDesignStore((s) => s.selectedGuids);
  const selectedEdgeIds = useDesignStore((s) => s.selectedEdgeIds);
  const drawnAsEdges = useDesignStore((s) => s.drawnAsEdges);
  // Links drawn as edges are no boxes.
  const boxes = useMemo(
    () => (drawnAsEdges.size ? designNodes.filter((n) => !drawnAsEdges.has(n.data.guid)) : designNodes),
    [designNodes, drawnAsEdges],
  );
  // xyflow draws selection from each item's `selected`, made here from the store's one selection
  // (a selected link resource is its edge).
  const nodes = useMemo(() => withSelection(boxes, new Set(selectedGuids.map(String))), [boxes, selectedGuids]);
  const edges = useMemo(() => {
    const ids = new Set(selectedEdgeIds);
    for (const g of selectedGuids) if (drawnAsEdges.has(g)) ids.add(resourceEdgeId(g));
    return withSelection(designEdges, ids);
  }, [designEdges, selectedEdgeIds, selectedGuids, drawnAsEdges]);
  const readOnly = useDesignStore((s) => s.readOnly);
  const focusSeq = useDesignStore((s) => s.focusSeq);
  const loadSeq = useDesignStore((s) => s.loadSeq);
  const onNodesChange = useDesignStore((s) => s.onNodesChange);
  const onEdgesChange = useDesignStore((s) => s.onEdgesChange);
  const flow = useReactFlow();
  // Far out, nodes drop their details and shadows: a thousand of them stay cheap to paint.
  const zoomedOut = useStore((s) => s.transform[2] < COMPACT_BELOW_ZOOM);

  const isValidConnection: IsValidConnection<Edge> = useCallback(
    (c) =>
      checkEnds(design, {
        source: c.source,
        target: c.target,
        sourceHandle: c.sourceHandle ?? null,
        targetHandle: c.targetHandle ?? null,
      }).ok,
    [design],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      const check = checkEnds(design, c);
      const store = design.getState();
      if (!check.ok) {
        store.notify("error", `Connection refused: ${check.reason}`);
        return;
      }
      if (check.kind === "condition") store.addCondition(Number(c.source), Number(c.target));
      else store.connect(Number(c.source), Number(c.target));
    },
    [design],
  );

  // The end of a drag from a handle. Dropped on a handle the rules refuse: say why (xyflow alone
  // would just drop the line). Dropped on a node's body rather than a handle: connect to it anyway.
  const onConnectEnd = useCallback(
    (e: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (!state.fromHandle || !state.fromNode) return;
      const fromIsSource = state.fromHandle.type === "source";
      const fromId = state.fromHandle.id ?? null;
      let toNodeId: string | null = state.toNode?.id ?? null;
      let toHandleId: string | null = state.toHandle?.id ?? null;
      if (!state.toHandle) {
        const point = "changedTouches" in e ? e.changedTouches[0] : e;
        const el = point ? document.elementFromPoint(point.clientX, point.clientY)?.closest(".react-flow__node") : null;
        toNodeId = el?.getAttribute("data-id") ?? null;
        if (!toNodeId || toNodeId === state.fromNode.id) return;
        // The matching handle of the other node: condition to condition, link to link.
        const kind = fromId?.startsWith("cond") ? "cond" : "link";
        toHandleId = `${kind}-${fromIsSource ? "in" : "out"}`;
      } else if (state.isValid !== false) {
        return; // a valid drop on a handle: onConnect did the work
      }
      if (!toNodeId) return;
      const ends = {
        source: fromIsSource ? state.fromNode.id : toNodeId,
        sourceHandle: fromIsSource ? fromId : toHandleId,
        target: fromIsSource ? toNodeId : state.fromNode.id,
        targetHandle: fromIsSource ? toHandleId : fromId,
      };
      if (state.toHandle) {
        const check = checkEnds(design, ends);
        if (!check.ok) design.getState().notify("error", `Connection refused: ${check.reason}`);
      } else {
        onConnect(ends);
      }
    },
    [onConnect, design],
  );

  const onDragOver = useCallback((e: React.DragEvent) => {
    if (!e.dataTransfer.types.includes(PALETTE_MIME)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  }, []);

  const onDrop = useCallback(
    (e: React.DragEvent) => {
      const rtype = e.dataTransfer.getData(PALETTE_MIME);
      if (!rtype) return;
      e.preventDefault();
      const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      design.getState().addResource(rtype, { x: p.x - 100, y: p.y - 40 });
    },
    [flow, design],
  );

  const onNodeDragStart = useCallback(() => design.getState().checkpoint(), [design]);

  // Double-click a resource to rename it: the inspector's label field takes the focus.
  const onNodeDoubleClick = useCallback(
    (_e: React.MouseEvent, n: Node) => {
      design.getState().select([Number(n.id)]);
      requestAnimationFrame(() => {
        const input = document.getElementById("resource-label") as HTMLInputElement | null;
        input?.focus();
        input?.select();
      });
    },
    [design],
  );

  // Bring the selection into view when asked (a click on a problem).
  useEffect(() => {
    if (!focusSeq) return;
    const { selectedGuids: selected, drawnAsEdges: links } = design.getState();
    // A link is shown with the two it joins.
    const shown = selected.flatMap((g) => links.get(g) ?? [g]);
    if (shown.length) void flow.fitView({ nodes: shown.map((g) => ({ id: String(g) })), maxZoom: 1.2, duration: 250 });
  }, [focusSeq, flow, design]);

  // A loaded design is shown whole once its nodes are measured (new nodes never move the view).
  useEffect(() => {
    if (!loadSeq) return;
    const id = requestAnimationFrame(() => requestAnimationFrame(() => void flow.fitView({ padding: 0.2, maxZoom: 1.1 })));
    return () => cancelAnimationFrame(id);
  }, [loadSeq, flow]);

  const catalog = useDesignStore((s) => s.catalog);
  const miniMapColor = useCallback(
    (n: Node) => catalog[(n.data as { rtype?: string }).rtype ?? ""]?.look.color ?? "#93c5fd",
    [catalog],
  );

  return (
    <div
      className={`canvas${zoomedOut ? " is-zoomed-out" : ""}${readOnly ? " is-readonly" : ""}`}
      onDragOver={onDragOver}
      onDrop={onDrop}
      data-testid="canvas"
    >
      <svg width="0" height="0" aria-hidden="true" style={{ position: "absolute" }}>
        <defs>
          <marker
            id="nepi-arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#7c3aed" />
          </marker>
        </defs>
      </svg>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        connectionLineComponent={ConnectionLine}
        connectionMode={ConnectionMode.Strict}
        connectionRadius={28}
        onNodeDragStart={onNodeDragStart}
        onNodeDoubleClick={onNodeDoubleClick}
        zoomOnDoubleClick={false}
        snapToGrid
        snapGrid={SNAP_GRID}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        elementsSelectable
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={["Meta", "Control"]}
        onlyRenderVisibleElements={nodes.length > VIRTUALIZE_FROM}
        minZoom={0.05}
        maxZoom={2}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} color="#cbd5e1" />
        <Controls showInteractive={false} orientation="horizontal" position="top-right" />
        <MiniMap
          pannable
          zoomable
          style={{ width: 160, height: 104 }}
          nodeColor={miniMapColor}
          nodeStrokeWidth={2}
          position="bottom-right"
          className="minimap"
        />
        {nodes.length === 0 && (
          <div className="canvas-empty">
            <strong>Drag a resource type from the palette to start.</strong>
            <span>
              Connect an application to its node with the side handles; draw a condition from the bottom handle to the top one.
            </span>
            {!readOnly && (
              <button
                type="button"
                className="btn"
                data-testid="open-examples"
                onClick={() => editor.ui.getState().setOpenDialog(true)}
              >
                …or open an example
              </button>
            )}
          </div>
        )}
      </ReactFlow>
    </div>
  );
}
