import { create } from "zustand";
import { applyEdgeChanges, applyNodeChanges, type Edge, type EdgeChange, type NodeChange } from "@xyflow/react";
import {
  listResourceTypes,
  type AttributeValue,
  type ExperimentDocument,
  type Problem,
  type ResourceAction,
  type ResourceState,
  type ResourceTypeInfo,
} from "@nepi/core";
import {
  buildEdges,
  connectionId,
  contentToDocument,
  documentToContent,
  makeNode,
  newAttributeConditionId,
  newConditionId,
  type DesignAttributeCondition,
  type DesignCondition,
  type DesignConnection,
  type DesignContent,
  type ResourceData,
  type ResourceNode,
} from "./model";
import { checkConditionEdge, checkConnection, type Check, type RuleResource } from "./rules";
import { computeProblems } from "./validation";
import { settableAttributes, startingValue } from "./settable";

export type ExperimentId = string;

export interface Notice {
  id: number;
  kind: "info" | "error" | "success";
  text: string;
}

interface Clipboard {
  nodes: ResourceNode[];
  connections: DesignConnection[];
  conditions: DesignCondition[];
  attributeConditions: DesignAttributeCondition[];
}

export type AttributeConditionPatch = Partial<Pick<DesignAttributeCondition, "attribute" | "value" | "after" | "state" | "delay">>;

export interface DesignState extends DesignContent {
  /** Backend id of the experiment on the canvas (null until saved or opened). */
  experimentId: ExperimentId | null;
  /** A past run reopened from the history: nothing can be edited. */
  readOnly: boolean;
  /** Changed since the last load or save. */
  dirty: boolean;
  /** Edges xyflow draws, derived from connections and conditions. */
  edges: Edge[];
  /** Problems of the design, computed by core's validateDocument (the backend's own check). */
  problems: Problem[];
  /** Resource types by rtype: core's catalog until `catalog.list` answers. */
  catalog: Record<string, ResourceTypeInfo>;
  selectedGuids: number[];
  selectedEdgeIds: string[];
  past: DesignContent[];
  future: DesignContent[];
  /** Last user message (a refused connection, a saved design…); the UI shows it as a toast. */
  notice: Notice | null;
  /** Bumped when the canvas should bring the selection into view. */
  focusSeq: number;
  /** Bumped by every load, so the canvas fits the new design into view. */
  loadSeq: number;

  setCatalog(types: ResourceTypeInfo[]): void;
  loadDocument(doc: ExperimentDocument, opts?: { experimentId?: ExperimentId | null; readOnly?: boolean }): void;
  newDesign(): void;
  toDocument(): ExperimentDocument;
  markSaved(experimentId: ExperimentId): void;

  onNodesChange(changes: NodeChange<ResourceNode>[]): void;
  onEdgesChange(changes: EdgeChange[]): void;
  /** Records the design before a gesture (a node drag) so one undo reverts the whole gesture. */
  checkpoint(): void;

  addResource(rtype: string, position: { x: number; y: number }): number | null;
  checkConnection(source: number, target: number): Check;
  connect(source: number, target: number): Check;
  addCondition(after: number, waiting: number, init?: Partial<Pick<DesignCondition, "action" | "state" | "delay">>): Check;
  updateCondition(id: string, patch: Partial<Pick<DesignCondition, "action" | "state" | "delay">>): void;
  removeCondition(id: string): void;
  /** Adds "set an attribute of `guid` once another resource reached a state"; returns its id. */
  addAttributeCondition(guid: number): string | null;
  /** Changing the attribute without a value resets the value to the new attribute's default. */
  updateAttributeCondition(id: string, patch: AttributeConditionPatch): void;
  removeAttributeCondition(id: string): void;
  setName(name: string): void;
  setDescription(description: string): void;
  setLabel(guid: number, label: string): void;
  /** `undefined` removes the attribute (its default applies). */
  setAttribute(guid: number, name: string, value: AttributeValue | undefined): void;
  setTrace(guid: number, trace: string, enabled: boolean): void;
  setPositions(positions: ReadonlyMap<number, { x: number; y: number }>): void;

  select(guids: number[], opts?: { focus?: boolean }): void;
  selectEdge(id: string): void;
  selectAll(): void;
  deleteSelection(): void;
  copySelection(): number;
  paste(): number[];
  undo(): void;
  redo(): void;
  notify(kind: Notice["kind"], text: string): void;
  dismissNotice(): void;
}

const HISTORY_LIMIT = 200;
let clipboard: Clipboard | null = null;
let noticeSeq = 0;
// Consecutive edits of the same field make one undo step (typing a command is one change).
let lastCoalesceKey: string | null = null;

function catalogOf(types: ResourceTypeInfo[]): Record<string, ResourceTypeInfo> {
  return Object.fromEntries(types.map((t) => [t.rtype, t]));
}

function contentOf(s: DesignContent): DesignContent {
  return {
    name: s.name,
    description: s.description,
    nodes: s.nodes,
    connections: s.connections,
    conditions: s.conditions,
    attributeConditions: s.attributeConditions,
  };
}

function ruleResources(nodes: readonly ResourceNode[]): Map<number, RuleResource> {
  const m = new Map<number, RuleResource>();
  for (const n of nodes) m.set(n.data.guid, { guid: n.data.guid, rtype: n.data.rtype, label: n.data.label });
  return m;
}

function selectedIds<T extends { id: string; selected?: boolean }>(items: readonly T[]): string[] {
  const out: string[] = [];
  for (const i of items) if (i.selected) out.push(i.id);
  return out;
}

/** Default label of a new resource: the type's short name and the guid ("application2"). */
function defaultLabel(rtype: string, guid: number): string {
  const short = rtype.split("::")[1] ?? rtype;
  return `${short.toLowerCase()}${guid}`;
}

/** What a new resource starts with: required attributes that have a default, output traces on. */
function initialData(info: ResourceTypeInfo, guid: number): ResourceData {
  const attributes: Record<string, AttributeValue> = {};
  for (const a of info.attributes) if (a.required && a.default !== undefined) attributes[a.name] = a.default;
  const traces = info.traces.filter((t) => t.name === "stdout" || t.name === "stderr").map((t) => t.name);
  return { guid, rtype: info.rtype, label: defaultLabel(info.rtype, guid), attributes, traces };
}

function nextGuid(nodes: readonly ResourceNode[]): number {
  let max = 0;
  for (const n of nodes) if (n.data.guid > max) max = n.data.guid;
  return max + 1;
}

/** Removes `guids` from conditions; a condition left without a group or an awaited set goes. */
function pruneConditions<C extends { group: number[]; after: number[] }>(conditions: C[], guids: ReadonlySet<number>): C[] {
  const out: C[] = [];
  for (const c of conditions) {
    if (!c.group.some((g) => guids.has(g)) && !c.after.some((g) => guids.has(g))) {
      out.push(c);
      continue;
    }
    const group = c.group.filter((g) => !guids.has(g));
    const after = c.after.filter((g) => !guids.has(g));
    if (group.length && after.length) out.push({ ...c, group, after });
  }
  return out;
}

/** Removes the single edge `after → waiting` of a condition, splitting it when it has several. */
function removeConditionPair(conditions: DesignCondition[], id: string, after: number, waiting: number): DesignCondition[] {
  const out: DesignCondition[] = [];
  for (const c of conditions) {
    if (c.id !== id) {
      out.push(c);
      continue;
    }
    if (c.group.length === 1) {
      const rest = c.after.filter((a) => a !== after);
      if (rest.length) out.push({ ...c, after: rest });
    } else if (c.after.length === 1) {
      out.push({ ...c, group: c.group.filter((g) => g !== waiting) });
    } else {
      out.push({ ...c, group: c.group.filter((g) => g !== waiting) });
      out.push({ ...c, id: newConditionId(), group: [waiting], after: c.after.filter((a) => a !== after) });
    }
  }
  return out;
}

const EMPTY: DesignContent = { name: "untitled", nodes: [], connections: [], conditions: [], attributeConditions: [] };
const INITIAL_CATALOG = catalogOf(listResourceTypes());

export const useDesignStore = create<DesignState>()((set, get) => {
  /** Applies an edit of the design: records undo history, re-derives edges and problems. */
  function commit(
    change: (s: DesignState) => Partial<DesignContent> | null,
    opts: { coalesce?: string } = {},
  ): boolean {
    const s = get();
    if (s.readOnly) return false;
    const patch = change(s);
    if (!patch) return false;
    const sameGesture = opts.coalesce !== undefined && opts.coalesce === lastCoalesceKey;
    lastCoalesceKey = opts.coalesce ?? null;
    const next = { ...contentOf(s), ...patch };
    const past = sameGesture ? s.past : [...s.past, contentOf(s)].slice(-HISTORY_LIMIT);
    const edgesChanged = patch.connections !== undefined || patch.conditions !== undefined;
    set({
      ...patch,
      past,
      future: [],
      dirty: true,
      ...(edgesChanged ? { edges: buildEdges(next.connections, next.conditions, new Set(s.selectedEdgeIds)) } : {}),
      ...derivedSelection(next.nodes, patch.nodes ? undefined : s.selectedGuids),
      problems: computeProblems(contentToDocument(next)),
    });
    return true;
  }

  function derivedSelection(nodes: readonly ResourceNode[], known?: number[]): Pick<DesignState, "selectedGuids"> {
    if (known) return { selectedGuids: known };
    const out: number[] = [];
    for (const n of nodes) if (n.selected) out.push(n.data.guid);
    return { selectedGuids: out };
  }

  /** Replaces the whole content (load, undo, redo): selection and edges follow it. */
  function replaceContent(content: DesignContent, extra: Partial<DesignState>): void {
    const edges = buildEdges(content.connections, content.conditions, new Set());
    set({
      ...content,
      edges,
      selectedEdgeIds: [],
      ...derivedSelection(content.nodes),
      problems: computeProblems(contentToDocument(content)),
      ...extra,
    });
  }

  return {
    ...EMPTY,
    experimentId: null,
    readOnly: false,
    dirty: false,
    edges: [],
    problems: computeProblems(contentToDocument(EMPTY)),
    catalog: INITIAL_CATALOG,
    selectedGuids: [],
    selectedEdgeIds: [],
    past: [],
    future: [],
    notice: null,
    focusSeq: 0,
    loadSeq: 0,

    setCatalog(types) {
      if (types.length) set({ catalog: catalogOf(types) });
    },

    loadDocument(doc, opts = {}) {
      lastCoalesceKey = null;
      replaceContent(documentToContent(doc), {
        experimentId: opts.experimentId ?? null,
        readOnly: opts.readOnly ?? false,
        dirty: false,
        past: [],
        future: [],
        loadSeq: get().loadSeq + 1,
      });
    },

    newDesign() {
      lastCoalesceKey = null;
      const s = get();
      // An edited design stays one undo away, so a stray click on New loses nothing.
      const past = !s.readOnly && s.nodes.length > 0 ? [...s.past, contentOf(s)].slice(-HISTORY_LIMIT) : [];
      replaceContent({ ...EMPTY, nodes: [], attributeConditions: [] }, { experimentId: null, readOnly: false, dirty: false, past, future: [] });
    },

    toDocument() {
      return contentToDocument(get());
    },

    markSaved(experimentId) {
      set({ experimentId, dirty: false });
    },

    onNodesChange(changes) {
      const s = get();
      // Only moves, measures and selection come from xyflow: deletion goes through deleteSelection.
      const allowed = changes.filter((c) => c.type !== "remove" && c.type !== "add" && !(s.readOnly && c.type === "position"));
      if (!allowed.length) return;
      const nodes = applyNodeChanges(allowed, s.nodes);
      const moved = allowed.some((c) => c.type === "position");
      const selection = allowed.some((c) => c.type === "select");
      set({
        nodes,
        ...(moved ? { dirty: true } : {}),
        ...(selection ? derivedSelection(nodes) : {}),
      });
    },

    onEdgesChange(changes) {
      const selects = changes.filter((c) => c.type === "select");
      if (!selects.length) return;
      const edges = applyEdgeChanges(selects, get().edges);
      set({ edges, selectedEdgeIds: selectedIds(edges) });
    },

    checkpoint() {
      const s = get();
      if (s.readOnly) return;
      lastCoalesceKey = null;
      set({ past: [...s.past, contentOf(s)].slice(-HISTORY_LIMIT), future: [] });
    },

    addResource(rtype, position) {
      const info = get().catalog[rtype];
      if (!info) {
        get().notify("error", `Unknown resource type ${rtype}`);
        return null;
      }
      let guid: number | null = null;
      commit((s) => {
        guid = nextGuid(s.nodes);
        const nodes = s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n));
        nodes.push(makeNode(initialData(info, guid), position, true));
        return { nodes };
      });
      return guid;
    },

    checkConnection(source, target) {
      const s = get();
      return checkConnection(s.catalog, ruleResources(s.nodes), s.connections, source, target);
    },

    connect(source, target) {
      const check = get().checkConnection(source, target);
      if (!check.ok) {
        get().notify("error", `Connection refused: ${check.reason}`);
        return check;
      }
      commit((s) => ({ connections: [...s.connections, { id: connectionId(source, target), source, target }] }));
      return check;
    },

    addCondition(after, waiting, init = {}) {
      const check = checkConditionEdge(ruleResources(get().nodes), after, waiting);
      if (!check.ok) {
        get().notify("error", `Condition refused: ${check.reason}`);
        return check;
      }
      const condition: DesignCondition = {
        id: newConditionId(),
        group: [waiting],
        action: init.action ?? "START",
        after: [after],
        state: init.state ?? "STARTED",
        ...(init.delay ? { delay: init.delay } : {}),
      };
      commit((s) => ({ conditions: [...s.conditions, condition] }));
      // Select the new edge so the inspector opens on it.
      const id = `${condition.id}:${after}>${waiting}`;
      const edges = get().edges.map((e) => (e.selected !== (e.id === id) ? { ...e, selected: e.id === id } : e));
      const nodes = get().nodes.map((n) => (n.selected ? { ...n, selected: false } : n));
      set({ edges, nodes, selectedEdgeIds: [id], selectedGuids: [] });
      return check;
    },

    updateCondition(id, patch) {
      commit(
        (s) => {
          if (!s.conditions.some((c) => c.id === id)) return null;
          return {
            conditions: s.conditions.map((c) => {
              if (c.id !== id) return c;
              const next: DesignCondition = { ...c, ...patch };
              if (!next.delay) delete next.delay;
              return next;
            }),
          };
        },
        { coalesce: `condition:${id}:${Object.keys(patch).join(",")}` },
      );
    },

    removeCondition(id) {
      commit((s) => ({ conditions: s.conditions.filter((c) => c.id !== id) }));
    },

    addAttributeCondition(guid) {
      const s = get();
      if (s.readOnly) return null;
      const node = s.nodes.find((n) => n.data.guid === guid);
      if (!node) return null;
      const info = s.catalog[node.data.rtype];
      const def = info ? settableAttributes(info)[0] : undefined;
      if (!def) {
        get().notify("error", `${node.data.rtype} has no attribute that can be set during the run`);
        return null;
      }
      const awaited = s.nodes.find((n) => n.data.guid !== guid);
      if (!awaited) {
        get().notify("error", "Add another resource first: the attribute is set once another resource reaches a state");
        return null;
      }
      const condition: DesignAttributeCondition = {
        id: newAttributeConditionId(),
        group: [guid],
        attribute: def.name,
        value: startingValue(def),
        after: [awaited.data.guid],
        state: "STARTED",
      };
      commit((st) => ({ attributeConditions: [...st.attributeConditions, condition] }));
      return condition.id;
    },

    updateAttributeCondition(id, patch) {
      if (patch.after && patch.after.length === 0) {
        get().notify("error", "An attribute condition waits on at least one resource");
        return;
      }
      commit(
        (s) => {
          const current = s.attributeConditions.find((c) => c.id === id);
          if (!current) return null;
          const next: DesignAttributeCondition = { ...current, ...patch };
          if (patch.attribute !== undefined && patch.value === undefined && patch.attribute !== current.attribute) {
            // A value of the old attribute rarely fits the new one: start from the new one's default.
            const rtype = s.nodes.find((n) => n.data.guid === current.group[0])?.data.rtype;
            const def = rtype ? s.catalog[rtype]?.attributes.find((a) => a.name === patch.attribute) : undefined;
            if (def) next.value = startingValue(def);
          }
          if (!next.delay) delete next.delay;
          return { attributeConditions: s.attributeConditions.map((c) => (c.id === id ? next : c)) };
        },
        { coalesce: `attribute-condition:${id}:${Object.keys(patch).join(",")}` },
      );
    },

    removeAttributeCondition(id) {
      commit((s) => {
        if (!s.attributeConditions.some((c) => c.id === id)) return null;
        return { attributeConditions: s.attributeConditions.filter((c) => c.id !== id) };
      });
    },

    setName(name) {
      commit(() => ({ name }), { coalesce: "name" });
    },

    setDescription(description) {
      commit(() => ({ description: description || undefined }), { coalesce: "description" });
    },

    setLabel(guid, label) {
      commit(
        (s) => ({ nodes: s.nodes.map((n) => (n.data.guid === guid ? { ...n, data: { ...n.data, label } } : n)) }),
        { coalesce: `label:${guid}` },
      );
    },

    setAttribute(guid, name, value) {
      commit(
        (s) => ({
          nodes: s.nodes.map((n) => {
            if (n.data.guid !== guid) return n;
            const attributes = { ...n.data.attributes };
            if (value === undefined) delete attributes[name];
            else attributes[name] = value;
            return { ...n, data: { ...n.data, attributes } };
          }),
        }),
        { coalesce: `attr:${guid}:${name}` },
      );
    },

    setTrace(guid, trace, enabled) {
      commit((s) => ({
        nodes: s.nodes.map((n) => {
          if (n.data.guid !== guid) return n;
          const has = n.data.traces.includes(trace);
          if (has === enabled) return n;
          const traces = enabled ? [...n.data.traces, trace] : n.data.traces.filter((t) => t !== trace);
          return { ...n, data: { ...n.data, traces } };
        }),
      }));
    },

    setPositions(positions) {
      commit((s) => ({
        nodes: s.nodes.map((n) => {
          const p = positions.get(n.data.guid);
          return p ? { ...n, position: p } : n;
        }),
      }));
    },

    select(guids, opts = {}) {
      const want = new Set(guids);
      const s = get();
      const nodes = s.nodes.map((n) => (Boolean(n.selected) !== want.has(n.data.guid) ? { ...n, selected: want.has(n.data.guid) } : n));
      const edges = s.edges.some((e) => e.selected) ? s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)) : s.edges;
      set({
        nodes,
        edges,
        selectedEdgeIds: [],
        ...derivedSelection(nodes),
        ...(opts.focus ? { focusSeq: s.focusSeq + 1 } : {}),
      });
    },

    selectEdge(id) {
      const s = get();
      const nodes = s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n));
      const edges = s.edges.map((e) => (Boolean(e.selected) !== (e.id === id) ? { ...e, selected: e.id === id } : e));
      set({ nodes, edges, selectedGuids: [], selectedEdgeIds: [id] });
    },

    selectAll() {
      get().select(get().nodes.map((n) => n.data.guid));
    },

    deleteSelection() {
      const s = get();
      if (s.readOnly) return;
      const guids = new Set(s.selectedGuids);
      const edgeIds = new Set(s.selectedEdgeIds);
      if (!guids.size && !edgeIds.size) return;
      commit(() => {
        const connections = s.connections.filter(
          (c) => !guids.has(c.source) && !guids.has(c.target) && !edgeIds.has(c.id),
        );
        let conditions = pruneConditions(s.conditions, guids);
        for (const e of s.edges) {
          if (!edgeIds.has(e.id) || e.type !== "condition") continue;
          const data = e.data as { conditionId: string };
          conditions = removeConditionPair(conditions, data.conditionId, Number(e.source), Number(e.target));
        }
        return {
          nodes: s.nodes.filter((n) => !guids.has(n.data.guid)),
          connections,
          conditions,
          attributeConditions: pruneConditions(s.attributeConditions, guids),
        };
      });
      set({ selectedEdgeIds: [], edges: get().edges.map((e) => (e.selected ? { ...e, selected: false } : e)) });
    },

    copySelection() {
      const s = get();
      const guids = new Set(s.selectedGuids);
      if (!guids.size) return 0;
      clipboard = {
        nodes: s.nodes.filter((n) => guids.has(n.data.guid)),
        connections: s.connections.filter((c) => guids.has(c.source) && guids.has(c.target)),
        conditions: s.conditions.filter((c) => c.group.every((g) => guids.has(g)) && c.after.every((g) => guids.has(g))),
        attributeConditions: s.attributeConditions.filter(
          (c) => c.group.every((g) => guids.has(g)) && c.after.every((g) => guids.has(g)),
        ),
      };
      return guids.size;
    },

    paste() {
      const clip = clipboard;
      if (!clip || get().readOnly) return [];
      const pasted: number[] = [];
      commit((s) => {
        const remap = new Map<number, number>();
        let guid = nextGuid(s.nodes);
        for (const n of clip.nodes) remap.set(n.data.guid, guid++);
        const nodes = s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n));
        for (const n of clip.nodes) {
          const g = remap.get(n.data.guid)!;
          pasted.push(g);
          nodes.push(
            makeNode(
              { ...n.data, guid: g, attributes: { ...n.data.attributes }, traces: [...n.data.traces] },
              { x: n.position.x + 40, y: n.position.y + 40 },
              true,
            ),
          );
        }
        const connections = [
          ...s.connections,
          ...clip.connections.map((c) => {
            const source = remap.get(c.source)!;
            const target = remap.get(c.target)!;
            return { id: connectionId(source, target), source, target };
          }),
        ];
        const conditions = [
          ...s.conditions,
          ...clip.conditions.map((c) => ({
            ...c,
            id: newConditionId(),
            group: c.group.map((g) => remap.get(g)!),
            after: c.after.map((g) => remap.get(g)!),
          })),
        ];
        const attributeConditions = [
          ...s.attributeConditions,
          ...clip.attributeConditions.map((c) => ({
            ...c,
            id: newAttributeConditionId(),
            group: c.group.map((g) => remap.get(g)!),
            after: c.after.map((g) => remap.get(g)!),
          })),
        ];
        return { nodes, connections, conditions, attributeConditions };
      });
      // The next paste lands beside this one rather than on top of it.
      clipboard = { ...clip, nodes: clip.nodes.map((n) => ({ ...n, position: { x: n.position.x + 40, y: n.position.y + 40 } })) };
      return pasted;
    },

    undo() {
      const s = get();
      if (s.readOnly || !s.past.length) return;
      lastCoalesceKey = null;
      const previous = s.past[s.past.length - 1]!;
      replaceContent(previous, { past: s.past.slice(0, -1), future: [contentOf(s), ...s.future], dirty: true });
    },

    redo() {
      const s = get();
      if (s.readOnly || !s.future.length) return;
      lastCoalesceKey = null;
      const [next, ...rest] = s.future;
      replaceContent(next!, { past: [...s.past, contentOf(s)], future: rest, dirty: true });
    },

    notify(kind, text) {
      noticeSeq += 1;
      set({ notice: { id: noticeSeq, kind, text } });
    },

    dismissNotice() {
      set({ notice: null });
    },
  };
});

/**
 * Why Deploy cannot run now, or null when it can: the run controls show this next to the
 * disabled button. Warnings do not block; errors do.
 */
export function selectDeployBlockedReason(s: Pick<DesignState, "readOnly" | "nodes" | "problems">): string | null {
  if (s.readOnly) return "This is a past run, opened read-only.";
  if (s.nodes.length === 0) return "The design is empty: drag a resource from the palette onto the canvas.";
  const errors = s.problems.filter((p) => (p.severity ?? "error") === "error");
  if (errors.length === 0) return null;
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? "s" : ""})` : "";
  return `Fix the problems first: ${first.message}${more}`;
}

export function useDeployBlockedReason(): string | null {
  return useDesignStore(selectDeployBlockedReason);
}

export type { ResourceAction, ResourceState };
