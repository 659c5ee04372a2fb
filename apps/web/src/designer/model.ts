import type { Edge, Node } from "@xyflow/react";
import type {
  Campaign,
  AttributeConditionDoc,
  AttributeValue,
  ConditionDoc,
  ExperimentDocument,
  ResourceAction,
  ResourceState,
} from "@nepi/core";
import { DOCUMENT_FORMAT, showPattern, stateRank } from "@nepi/core";
import { conditionEdgeId, connectionEdgeId, resourceEdgeId } from "./edge-ids";
import type { DrawnLink, LinkEdgeData } from "./link-edges";

/** A resource as the canvas holds it: the node's data (the position is the node's). */
export interface ResourceData extends Record<string, unknown> {
  guid: number;
  rtype: string;
  label: string;
  attributes: Record<string, AttributeValue>;
  traces: string[];
}
export type ResourceNode = Node<ResourceData, "resource">;

export interface DesignConnection {
  id: string;
  source: number;
  target: number;
}

/**
 * A condition: do `action` on every guid of `group` once every guid of `after` reached `state`
 * — or once a line of their `trace` matches the regular expression `matches` (before `timeout`) —
 * plus `delay`.
 */
export interface DesignCondition {
  id: string;
  group: number[];
  action: ResourceAction;
  after: number[];
  state: ResourceState;
  trace?: string;
  matches?: string;
  timeout?: string;
  delay?: string;
}

/** The trace-match fields of a condition that has them, as the document writes them. */
function traceFields(
  c: Pick<DesignCondition, "trace" | "matches" | "timeout">,
): Pick<ConditionDoc, "trace" | "matches" | "timeout"> {
  if (c.trace === undefined) return {};
  return { trace: c.trace, matches: c.matches ?? "", ...(c.timeout ? { timeout: c.timeout } : {}) };
}

/**
 * NEPI's `setWithConditions`: set `attribute` to `value` on every guid of `group` once every guid
 * of `after` reached `state` (+ delay). The `id` only keeps the inspector's rows stable.
 */
export type DesignAttributeCondition = AttributeConditionDoc & { id: string };

export interface ConditionEdgeData extends Record<string, unknown> {
  conditionId: string;
  label: string;
}

/** Everything undo/redo restores: the design itself (not the selection). */
export interface DesignContent {
  name: string;
  description?: string;
  nodes: ResourceNode[];
  connections: DesignConnection[];
  conditions: DesignCondition[];
  attributeConditions: DesignAttributeCondition[];
  /** A campaign of the document (sweeps, repetitions, metrics): kept as it is, so saving the design never drops it. */
  campaign?: Campaign;
}

/** "START after STARTED + 2s", "START after stdout ~ /listening on/" — what a condition edge reads. */
export function conditionLabel(c: Pick<DesignCondition, "action" | "state" | "delay" | "trace" | "matches">): string {
  const delay = c.delay ? ` + ${c.delay}` : "";
  if (c.trace === undefined) return `${c.action} after ${c.state}${delay}`;
  // A trace is written once its resource started: only a later state is worth saying.
  const state = stateRank(c.state) > stateRank("STARTED") ? `${c.state}, ` : "";
  return `${c.action} after ${state}${c.trace} ~ ${showPattern(c.matches ?? "")}${delay}`;
}

/**
 * "set duration to 2s once task1 #1 reaches STARTED, plus 500ms" — what an attribute condition
 * reads in the inspector. `nameOf` gives a resource's readable name.
 */
export function attributeConditionSentence(
  c: Pick<DesignAttributeCondition, "group" | "attribute" | "value" | "after" | "state" | "delay">,
  nameOf: (guid: number) => string,
  opts: { subject?: number } = {},
): string {
  const others = c.group.filter((g) => g !== opts.subject);
  const on = opts.subject === undefined || others.length > 0 ? ` of ${c.group.map(nameOf).join(", ")}` : "";
  const value = c.value === "" ? "(empty)" : String(c.value);
  const verb = c.after.length > 1 ? "reach" : "reaches";
  const delay = c.delay ? `, plus ${c.delay}` : "";
  return `set ${c.attribute}${on} to ${value} once ${c.after.map(nameOf).join(", ")} ${verb} ${c.state}${delay}`;
}

const GRID_COLUMNS = 8;
export function gridPosition(index: number): { x: number; y: number } {
  return { x: (index % GRID_COLUMNS) * 260, y: Math.floor(index / GRID_COLUMNS) * 150 };
}

/** A resource node; whether it is selected is the selection's business, not the node's. */
export function makeNode(data: ResourceData, position: { x: number; y: number }): ResourceNode {
  return { id: String(data.guid), type: "resource", position, data };
}

/** Makes the ids of conditions and attribute conditions; each store has its own. */
export interface ContentIds {
  condition(): string;
  attributeCondition(): string;
}

export function createContentIds(): ContentIds {
  let conditions = 0;
  let attributeConditions = 0;
  return {
    condition: () => `k${++conditions}`,
    attributeCondition: () => `a${++attributeConditions}`,
  };
}

/** The canvas content of a document (resources without a position are put on a grid). */
export function documentToContent(doc: ExperimentDocument, ids: ContentIds): DesignContent {
  const nodes = doc.resources.map((r, i) =>
    makeNode(
      {
        guid: r.guid,
        rtype: r.type,
        label: r.label ?? "",
        attributes: { ...(r.attributes ?? {}) },
        traces: [...(r.traces ?? [])],
      },
      r.position ? { x: r.position.x, y: r.position.y } : gridPosition(i),
    ),
  );
  return {
    name: doc.name,
    description: doc.description,
    nodes,
    connections: (doc.connections ?? []).map((c) => ({
      id: connectionEdgeId(c.source, c.target),
      source: c.source,
      target: c.target,
    })),
    conditions: (doc.conditions ?? []).map((c) => ({
      id: ids.condition(),
      group: [...c.group],
      action: c.action,
      after: [...c.after],
      state: c.state,
      ...traceFields(c),
      ...(c.delay ? { delay: c.delay } : {}),
    })),
    attributeConditions: (doc.attributeConditions ?? []).map((c) => ({
      id: ids.attributeCondition(),
      group: [...c.group],
      attribute: c.attribute,
      value: c.value,
      after: [...c.after],
      state: c.state,
      ...(c.delay ? { delay: c.delay } : {}),
    })),
    // Always set (undefined when absent), so that loading another design never keeps this one.
    campaign: doc.campaign ? structuredClone(doc.campaign) : undefined,
  };
}

/** The experiment document of the canvas content: the one format the backend and engine take. */
export function contentToDocument(content: DesignContent): ExperimentDocument {
  const doc: ExperimentDocument = {
    format: DOCUMENT_FORMAT,
    name: content.name,
    resources: content.nodes.map((n) => {
      const d = n.data;
      return {
        guid: d.guid,
        type: d.rtype,
        ...(d.label ? { label: d.label } : {}),
        attributes: { ...d.attributes },
        traces: [...d.traces],
        position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
      };
    }),
    connections: content.connections.map((c) => ({ source: c.source, target: c.target })),
    conditions: content.conditions.map((c): ConditionDoc => ({
      group: [...c.group],
      action: c.action,
      after: [...c.after],
      state: c.state,
      ...traceFields(c),
      ...(c.delay ? { delay: c.delay } : {}),
    })),
  };
  if (content.description) doc.description = content.description;
  if (content.campaign) doc.campaign = structuredClone(content.campaign);
  if (content.attributeConditions.length) {
    doc.attributeConditions = content.attributeConditions.map((c): AttributeConditionDoc => ({
      group: [...c.group],
      attribute: c.attribute,
      value: c.value,
      after: [...c.after],
      state: c.state,
      ...(c.delay ? { delay: c.delay } : {}),
    }));
  }
  return doc;
}

/**
 * The edges xyflow draws: connections (solid), one edge per resource drawn as an edge (a network
 * link, instead of its box and its two connections) and one dashed edge per condition pair.
 * Which are selected is added by the canvas from the selection.
 */
export function buildEdges(
  connections: readonly DesignConnection[],
  conditions: readonly DesignCondition[],
  links: readonly DrawnLink[] = [],
): Edge[] {
  const edges: Edge[] = [];
  const drawn = new Set(links.map((l) => l.guid));
  for (const c of connections) {
    if (drawn.has(c.source) || drawn.has(c.target)) continue;
    edges.push({
      id: c.id,
      source: String(c.source),
      target: String(c.target),
      sourceHandle: "link-out",
      targetHandle: "link-in",
      type: "connection",
    });
  }
  for (const l of links) {
    edges.push({
      id: resourceEdgeId(l.guid),
      source: String(l.ends[0]),
      target: String(l.ends[1]),
      sourceHandle: "link-out",
      targetHandle: "link-in",
      type: "link",
      data: { guid: l.guid, label: l.label, changes: l.changes, down: l.down } satisfies LinkEdgeData,
    });
  }
  for (const c of conditions) {
    const label = conditionLabel(c);
    for (const after of c.after) {
      for (const g of c.group) {
        edges.push({
          id: conditionEdgeId(c.id, after, g),
          source: String(after),
          target: String(g),
          sourceHandle: "cond-out",
          targetHandle: "cond-in",
          type: "condition",
          data: { conditionId: c.id, label } satisfies ConditionEdgeData,
        });
      }
    }
  }
  return edges;
}
