import { applyNodeChanges, type Edge, type NodeChange } from "@xyflow/react";
import {
  LINK_COUNTERS_TRACE,
  MACHINE_ROLE,
  generateTopology,
  type AttributeValue,
  type Campaign,
  type ExperimentDocument,
  type Problem,
  type ResourceTypeInfo,
  type TopologySpec,
} from "@nepi/core";
import {
  contentToDocument,
  documentToContent,
  makeNode,
  type ContentIds,
  type DesignAttributeCondition,
  type DesignCondition,
  type DesignContent,
  type ResourceData,
  type ResourceNode,
} from "../model";
import { conditionEdgeId, connectionEdgeId, parseEdgeId } from "../edge-ids";
import { checkConditionEdge, connectionProblem, joiningEdgeType, type Check, type RuleResource } from "../rules";
import { isDrawnAsEdge } from "../link-edges";
import { computeProblems } from "../validation";
import { settableAttributes, startingValue } from "../settable";
import { pastWith, contentOf, deriveEdges, type History } from "./history";
import type { DesignSlice } from "./state";

export type ExperimentId = string;

export type AttributeConditionPatch = Partial<
  Pick<DesignAttributeCondition, "attribute" | "value" | "after" | "state" | "delay">
>;

/** The design on the canvas, its undo history, and every edit of it. */
export interface ContentSlice extends DesignContent {
  /** Backend id of the experiment on the canvas (null until saved or opened). */
  experimentId: ExperimentId | null;
  /** A past run reopened from the history: nothing can be edited. */
  readOnly: boolean;
  /** Changed since the last load or save. */
  dirty: boolean;
  /** Edges xyflow draws, derived from connections, conditions and the resources drawn as edges. */
  edges: Edge[];
  /** The resources drawn as an edge (a network link) instead of a box, with the two they join. */
  drawnAsEdges: ReadonlyMap<number, readonly [number, number]>;
  /** Problems of the design, computed by core's validateDocument (the backend's own check). */
  problems: Problem[];
  past: DesignContent[];
  future: DesignContent[];
  /** Bumped by every load, so the canvas fits the new design into view. */
  loadSeq: number;

  loadDocument(doc: ExperimentDocument, opts?: { experimentId?: ExperimentId | null; readOnly?: boolean; dirty?: boolean }): void;
  newDesign(): void;
  toDocument(): ExperimentDocument;
  markSaved(experimentId: ExperimentId): void;

  /** xyflow's node changes: moves and sizes here, selection to the selection slice. */
  onNodesChange(changes: NodeChange<ResourceNode>[]): void;
  /** Records the design before a gesture (a node drag) so one undo reverts the whole gesture. */
  checkpoint(): void;

  addResource(rtype: string, position: { x: number; y: number }): number | null;
  /** Whether `source` and `target` may be joined: directly, or by a new edge-drawn resource (a link). */
  checkConnection(source: number, target: number): Check;
  /**
   * Joins them: a connection when a rule of theirs allows it, else a new resource of the
   * edge-drawn type whose rules accept both (a network link between two hosts), connected to both.
   */
  connect(source: number, target: number): Check;
  /** Builds `guid` on `machine` (a resource with the machine role), or on this machine (null). */
  setMachine(guid: number, machine: number | null): void;
  /** Adds a generated topology (core's generators) as one undo step and selects it; false on bad numbers. */
  insertTopology(spec: TopologySpec, origin: { x: number; y: number }): boolean;
  /** Derives the edges again (the catalog changed: which types are drawn as edges). */
  refreshEdges(): void;
  addCondition(after: number, waiting: number, init?: Partial<Pick<DesignCondition, "action" | "state" | "delay">>): Check;
  /** `trace: undefined` makes it a state condition again (its pattern and timeout go too). */
  updateCondition(
    id: string,
    patch: Partial<Pick<DesignCondition, "action" | "state" | "delay" | "trace" | "matches" | "timeout">>,
  ): void;
  removeCondition(id: string): void;
  /** Adds "set an attribute of `guid` once another resource reached a state"; returns its id. */
  addAttributeCondition(guid: number): string | null;
  /** Changing the attribute without a value resets the value to the new attribute's default. */
  updateAttributeCondition(id: string, patch: AttributeConditionPatch): void;
  removeAttributeCondition(id: string): void;
  setName(name: string): void;
  setDescription(description: string): void;
  /**
   * Replaces the document's campaign (`undefined` removes it). Consecutive edits of the same
   * `field` (typing in one box) are one undo step.
   */
  setCampaign(campaign: Campaign | undefined, field?: string): void;
  setLabel(guid: number, label: string): void;
  /** `undefined` removes the attribute (its default applies). */
  setAttribute(guid: number, name: string, value: AttributeValue | undefined): void;
  setTrace(guid: number, trace: string, enabled: boolean): void;
  setPositions(positions: ReadonlyMap<number, { x: number; y: number }>): void;
  /** Deletes the selected resources (with their links and their place in conditions) and edges. */
  deleteSelection(): void;
  undo(): void;
  redo(): void;
}

const EMPTY: DesignContent = {
  name: "untitled",
  nodes: [],
  connections: [],
  conditions: [],
  attributeConditions: [],
  campaign: undefined,
};

export function ruleResources(nodes: readonly ResourceNode[]): Map<number, RuleResource> {
  const m = new Map<number, RuleResource>();
  for (const n of nodes) m.set(n.data.guid, { guid: n.data.guid, rtype: n.data.rtype, label: n.data.label });
  return m;
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
  // An edge-drawn link's counters feed its live throughput on the canvas.
  const live = (name: string) => isDrawnAsEdge(info) && name === LINK_COUNTERS_TRACE;
  const traces = info.traces.filter((t) => t.name === "stdout" || t.name === "stderr" || live(t.name)).map((t) => t.name);
  return { guid, rtype: info.rtype, label: defaultLabel(info.rtype, guid), attributes, traces };
}

export function nextGuid(nodes: readonly ResourceNode[]): number {
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
function removeConditionPair(
  conditions: DesignCondition[],
  id: string,
  after: number,
  waiting: number,
  newId: () => string,
): DesignCondition[] {
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
      out.push({ ...c, id: newId(), group: [waiting], after: c.after.filter((a) => a !== after) });
    }
  }
  return out;
}

export function createContentSlice(history: History, ids: ContentIds): DesignSlice<ContentSlice> {
  const { commit, replaceContent } = history;
  return (set, get) => ({
    ...EMPTY,
    experimentId: null,
    readOnly: false,
    dirty: false,
    edges: [],
    drawnAsEdges: new Map(),
    problems: computeProblems(contentToDocument(EMPTY)),
    past: [],
    future: [],
    loadSeq: 0,

    loadDocument(doc, opts = {}) {
      replaceContent(documentToContent(doc, ids), {
        experimentId: opts.experimentId ?? null,
        readOnly: opts.readOnly ?? false,
        dirty: opts.dirty ?? false,
        past: [],
        future: [],
        selectedGuids: [],
        selectedEdgeIds: [],
        loadSeq: get().loadSeq + 1,
      });
    },

    newDesign() {
      const s = get();
      // An edited design stays one undo away, so a stray click on New loses nothing.
      const past = !s.readOnly && s.nodes.length > 0 ? pastWith(s.past, s) : [];
      replaceContent({ ...EMPTY }, { experimentId: null, readOnly: false, dirty: false, past, future: [] });
    },

    toDocument() {
      return contentToDocument(get());
    },

    markSaved(experimentId) {
      set({ experimentId, dirty: false });
    },

    onNodesChange(changes) {
      const s = get();
      get().applyNodeSelection(changes);
      // Moves and measures come from xyflow: deletion goes through deleteSelection.
      const allowed = changes.filter((c) => (c.type === "position" && !s.readOnly) || c.type === "dimensions");
      if (!allowed.length) return;
      const moved = allowed.some((c) => c.type === "position");
      set({ nodes: applyNodeChanges(allowed, s.nodes), ...(moved ? { dirty: true } : {}) });
    },

    checkpoint() {
      const s = get();
      if (s.readOnly) return;
      history.endGesture();
      set({ past: pastWith(s.past, s), future: [] });
    },

    addResource(rtype, position) {
      const info = get().catalog[rtype];
      if (!info) {
        get().notify("error", `Unknown resource type ${rtype}`);
        return null;
      }
      let guid: number | null = null;
      const done = commit((s) => {
        guid = nextGuid(s.nodes);
        return { nodes: [...s.nodes, makeNode(initialData(info, guid), position)] };
      });
      if (!done || guid === null) return null;
      get().select([guid]);
      return guid;
    },

    checkConnection(source, target) {
      const s = get();
      const resources = ruleResources(s.nodes);
      const problem = connectionProblem(s.catalog, resources, s.connections, source, target);
      if (!problem) return { ok: true };
      if (problem.code === "NO_RULE" && joiningEdgeType(s.catalog, resources, s.connections, source, target)) return { ok: true };
      return { ok: false, reason: problem.message };
    },

    connect(source, target) {
      const s = get();
      const resources = ruleResources(s.nodes);
      const problem = connectionProblem(s.catalog, resources, s.connections, source, target);
      const via = problem?.code === "NO_RULE" ? joiningEdgeType(s.catalog, resources, s.connections, source, target) : undefined;
      if (via) {
        const info = s.catalog[via]!;
        let guid = 0;
        const done = commit((st) => {
          guid = nextGuid(st.nodes);
          const at = (g: number) => st.nodes.find((n) => n.data.guid === g)?.position ?? { x: 0, y: 0 };
          const [a, b] = [at(source), at(target)];
          const node = makeNode(initialData(info, guid), { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
          return {
            nodes: [...st.nodes, node],
            connections: [
              ...st.connections,
              { id: connectionEdgeId(guid, source), source: guid, target: source },
              { id: connectionEdgeId(guid, target), source: guid, target },
            ],
          };
        });
        // The new link opens in the inspector.
        if (done) get().select([guid]);
        return { ok: true };
      }
      if (problem) {
        get().notify("error", `Connection refused: ${problem.message}`);
        return { ok: false, reason: problem.message };
      }
      commit((st) => ({ connections: [...st.connections, { id: connectionEdgeId(source, target), source, target }] }));
      return { ok: true };
    },

    setMachine(guid, machine) {
      commit((s) => {
        const rtypeOf = (g: number) => s.nodes.find((n) => n.data.guid === g)?.data.rtype;
        const isMachine = (g: number) => s.catalog[rtypeOf(g) ?? ""]?.roles.includes(MACHINE_ROLE) ?? false;
        const other = (c: { source: number; target: number }) => (c.source === guid ? c.target : c.source);
        const current = s.connections.find((c) => (c.source === guid || c.target === guid) && isMachine(other(c)));
        if ((current ? other(current) : null) === machine) return null;
        const connections = s.connections.filter((c) => c !== current);
        if (machine !== null) {
          if (!isMachine(machine)) return null;
          connections.push({ id: connectionEdgeId(guid, machine), source: guid, target: machine });
        }
        return { connections };
      });
    },

    insertTopology(spec, origin) {
      const s = get();
      let topology;
      try {
        topology = generateTopology(spec, {
          firstGuid: nextGuid(s.nodes),
          takenLabels: s.nodes.map((n) => n.data.label),
          origin,
        });
      } catch (err) {
        get().notify("error", `Topology refused: ${(err as Error).message}`);
        return false;
      }
      const nodes = topology.resources.map((r) =>
        makeNode(
          { guid: r.guid, rtype: r.type, label: r.label ?? "", attributes: { ...r.attributes }, traces: [...r.traces] },
          r.position,
        ),
      );
      const connections = topology.connections.map((c) => ({ id: connectionEdgeId(c.source, c.target), ...c }));
      if (!commit((st) => ({ nodes: [...st.nodes, ...nodes], connections: [...st.connections, ...connections] }))) return false;
      get().select(
        nodes.map((n) => n.data.guid),
        { focus: true },
      );
      return true;
    },

    refreshEdges() {
      const s = get();
      set(deriveEdges(s, s.catalog, s.edges));
    },

    addCondition(after, waiting, init = {}) {
      const check = checkConditionEdge(ruleResources(get().nodes), after, waiting);
      if (!check.ok) {
        get().notify("error", `Condition refused: ${check.reason}`);
        return check;
      }
      const condition: DesignCondition = {
        id: ids.condition(),
        group: [waiting],
        action: init.action ?? "START",
        after: [after],
        state: init.state ?? "STARTED",
        ...(init.delay ? { delay: init.delay } : {}),
      };
      // Select the new edge so the inspector opens on it.
      if (commit((s) => ({ conditions: [...s.conditions, condition] })))
        get().selectEdge(conditionEdgeId(condition.id, after, waiting));
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
              if (next.trace === undefined) {
                delete next.trace;
                delete next.matches;
                delete next.timeout;
              } else if (!next.timeout) delete next.timeout;
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
        id: ids.attributeCondition(),
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

    setCampaign(campaign, field) {
      commit(() => ({ campaign }), field !== undefined ? { coalesce: `campaign:${field}` } : {});
    },

    setLabel(guid, label) {
      commit((s) => ({ nodes: s.nodes.map((n) => (n.data.guid === guid ? { ...n, data: { ...n.data, label } } : n)) }), {
        coalesce: `label:${guid}`,
      });
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

    deleteSelection() {
      const guids = new Set(get().selectedGuids);
      // A link drawn between two resources goes with either of them: it cannot be drawn alone.
      for (const [link, ends] of get().drawnAsEdges) if (ends.some((e) => guids.has(e))) guids.add(link);
      const edgeIds = new Set(get().selectedEdgeIds);
      if (!guids.size && !edgeIds.size) return;
      commit((s) => {
        const connections = s.connections.filter((c) => !guids.has(c.source) && !guids.has(c.target) && !edgeIds.has(c.id));
        let conditions = pruneConditions(s.conditions, guids);
        for (const id of edgeIds) {
          const edge = parseEdgeId(id);
          if (edge?.kind === "condition")
            conditions = removeConditionPair(conditions, edge.conditionId, edge.after, edge.waiting, ids.condition);
        }
        return {
          nodes: s.nodes.filter((n) => !guids.has(n.data.guid)),
          connections,
          conditions,
          attributeConditions: pruneConditions(s.attributeConditions, guids),
        };
      });
    },

    undo() {
      const s = get();
      if (s.readOnly || !s.past.length) return;
      const previous = s.past[s.past.length - 1]!;
      replaceContent(previous, { past: s.past.slice(0, -1), future: [contentOf(s), ...s.future], dirty: true });
    },

    redo() {
      const s = get();
      if (s.readOnly || !s.future.length) return;
      const [next, ...rest] = s.future;
      replaceContent(next!, { past: [...s.past, contentOf(s)], future: rest, dirty: true });
    },
  });
}
