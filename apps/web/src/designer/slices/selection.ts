import type { Edge, EdgeChange, NodeChange } from "@xyflow/react";
import type { ResourceNode } from "../model";
import { resourceOfEdge } from "../edge-ids";
import type { DesignSlice } from "./state";

/**
 * What is selected, kept here only: the nodes and edges of the content carry no `selected`
 * flag; the canvas adds it from these lists (`withSelection`).
 */
export interface SelectionSlice {
  selectedGuids: number[];
  selectedEdgeIds: string[];
  /** Bumped when the canvas should bring the selection into view. */
  focusSeq: number;

  /** Selects exactly these resources (and no edge). */
  select(guids: number[], opts?: { focus?: boolean }): void;
  /** Selects exactly this edge (and no resource). */
  selectEdge(id: string): void;
  selectAll(): void;
  /** xyflow's edge changes: only selection (a click, Ctrl+click, a box) is taken. */
  onEdgesChange(changes: EdgeChange[]): void;
  /** The selection part of xyflow's node changes (the content slice passes them on). */
  applyNodeSelection(changes: NodeChange<ResourceNode>[]): void;
}

/** `current` with xyflow's select changes applied: new ones appended, deselected ones dropped. */
function applied<T>(
  current: readonly T[],
  changes: readonly (NodeChange<ResourceNode> | EdgeChange)[],
  key: (id: string) => T,
): T[] {
  const out = new Set(current);
  for (const c of changes) {
    if (c.type !== "select") continue;
    if (c.selected) out.add(key(c.id));
    else out.delete(key(c.id));
  }
  return [...out];
}

function same<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The selection without the resources and edges that are gone (after a delete, an undo…). */
export function selectionWithin(
  s: Pick<SelectionSlice, "selectedGuids" | "selectedEdgeIds">,
  nodes: readonly ResourceNode[],
  edges: readonly Edge[],
): Pick<SelectionSlice, "selectedGuids" | "selectedEdgeIds"> {
  const guids = new Set(nodes.map((n) => n.data.guid));
  const edgeIds = new Set(edges.map((e) => e.id));
  const selectedGuids = s.selectedGuids.every((g) => guids.has(g))
    ? s.selectedGuids
    : s.selectedGuids.filter((g) => guids.has(g));
  const selectedEdgeIds = s.selectedEdgeIds.every((id) => edgeIds.has(id))
    ? s.selectedEdgeIds
    : s.selectedEdgeIds.filter((id) => edgeIds.has(id));
  return { selectedGuids, selectedEdgeIds };
}

/**
 * The items xyflow draws, each flagged `selected` from the selection. Items whose flag does not
 * change keep their identity, so only they are not re-rendered.
 */
export function withSelection<T extends { id: string; selected?: boolean }>(
  items: readonly T[],
  selected: ReadonlySet<string>,
): T[] {
  return items.map((i) => {
    const want = selected.has(i.id);
    return Boolean(i.selected) === want ? i : { ...i, selected: want };
  });
}

export const createSelectionSlice: DesignSlice<SelectionSlice> = (set, get) => ({
  selectedGuids: [],
  selectedEdgeIds: [],
  focusSeq: 0,

  select(guids, opts = {}) {
    set({ selectedGuids: [...new Set(guids)], selectedEdgeIds: [], ...(opts.focus ? { focusSeq: get().focusSeq + 1 } : {}) });
  },

  selectEdge(id) {
    // A link drawn as an edge is a resource: selecting its edge selects it.
    const guid = resourceOfEdge(id);
    if (guid !== undefined) set({ selectedGuids: [guid], selectedEdgeIds: [] });
    else set({ selectedGuids: [], selectedEdgeIds: [id] });
  },

  selectAll() {
    get().select(get().nodes.map((n) => n.data.guid));
  },

  onEdgesChange(changes) {
    const isResource = (c: EdgeChange) => "id" in c && resourceOfEdge(c.id) !== undefined;
    const selectedEdgeIds = applied(
      get().selectedEdgeIds,
      changes.filter((c) => !isResource(c)),
      (id) => id,
    );
    // The edge of a link resource selects the resource, so the inspector, Delete and Copy act on it.
    const selectedGuids = applied(get().selectedGuids, changes.filter(isResource), (id) => resourceOfEdge(id)!);
    if (!same(selectedEdgeIds, get().selectedEdgeIds)) set({ selectedEdgeIds });
    if (!same(selectedGuids, get().selectedGuids)) set({ selectedGuids });
  },

  applyNodeSelection(changes) {
    const selectedGuids = applied(get().selectedGuids, changes, Number);
    if (!same(selectedGuids, get().selectedGuids)) set({ selectedGuids });
  },
});
