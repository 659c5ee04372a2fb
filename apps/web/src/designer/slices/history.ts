import type { Edge } from "@xyflow/react";
import type { ResourceTypeInfo } from "@nepi/core";
import { buildEdges, contentToDocument, type DesignContent } from "../model";
import { drawnLinks, keepUnchangedEdges } from "../link-edges";
import { computeProblems } from "../validation";
import { selectionWithin } from "./selection";
import type { DesignState, DesignStore } from "./state";

const HISTORY_LIMIT = 200;

/** The part of the state undo and redo restore. */
export function contentOf(s: DesignContent): DesignContent {
  return {
    name: s.name,
    description: s.description,
    nodes: s.nodes,
    connections: s.connections,
    conditions: s.conditions,
    attributeConditions: s.attributeConditions,
    campaign: s.campaign,
  };
}

/** `past` with `s` recorded as the newest undo step. */
export function pastWith(past: readonly DesignContent[], s: DesignContent): DesignContent[] {
  return [...past, contentOf(s)].slice(-HISTORY_LIMIT);
}

/** The edges of `content` (unchanged ones keep their identity) and the resources drawn as edges. */
export function deriveEdges(
  content: DesignContent,
  catalog: Readonly<Record<string, ResourceTypeInfo>>,
  previous: readonly Edge[],
): { edges: Edge[]; drawnAsEdges: ReadonlyMap<number, readonly [number, number]> } {
  const links = drawnLinks(content, catalog);
  const edges = keepUnchangedEdges(previous, buildEdges(content.connections, content.conditions, links));
  return { edges, drawnAsEdges: new Map(links.map((l) => [l.guid, l.ends])) };
}

export interface History {
  /**
   * Applies an edit of the design: records the undo step, re-derives edges and problems, and
   * drops from the selection what the edit removed. `coalesce`: consecutive edits with the same
   * key make one undo step (typing a command is one change). False when nothing changed.
   */
  commit(change: (s: DesignState) => Partial<DesignContent> | null, opts?: { coalesce?: string }): boolean;
  /** Replaces the whole content (load, undo, redo); `extra` sets the rest of the state with it. */
  replaceContent(content: DesignContent, extra: Partial<DesignState>): void;
  /** The next edit starts a new undo step even if it edits the same field. */
  endGesture(): void;
}

export function createHistory(set: DesignStore["setState"], get: DesignStore["getState"]): History {
  let lastCoalesceKey: string | null = null;
  return {
    commit(change, opts = {}) {
      const s = get();
      if (s.readOnly) return false;
      const patch = change(s);
      if (!patch) return false;
      const sameGesture = opts.coalesce !== undefined && opts.coalesce === lastCoalesceKey;
      lastCoalesceKey = opts.coalesce ?? null;
      const next = { ...contentOf(s), ...patch };
      // A link's edge reads its attributes and the attribute conditions on it.
      const derived =
        patch.connections !== undefined ||
        patch.conditions !== undefined ||
        patch.nodes !== undefined ||
        patch.attributeConditions !== undefined
          ? deriveEdges(next, s.catalog, s.edges)
          : { edges: s.edges, drawnAsEdges: s.drawnAsEdges };
      const edges = derived.edges;
      set({
        ...patch,
        past: sameGesture ? s.past : pastWith(s.past, s),
        future: [],
        dirty: true,
        edges,
        drawnAsEdges: derived.drawnAsEdges,
        ...(patch.nodes || edges !== s.edges ? selectionWithin(s, next.nodes, edges) : {}),
        problems: computeProblems(contentToDocument(next)),
      });
      return true;
    },

    replaceContent(content, extra) {
      lastCoalesceKey = null;
      const { edges, drawnAsEdges } = deriveEdges(content, get().catalog, get().edges);
      set({
        ...content,
        edges,
        drawnAsEdges,
        ...selectionWithin(get(), content.nodes, edges),
        problems: computeProblems(contentToDocument(content)),
        ...extra,
      });
    },

    endGesture() {
      lastCoalesceKey = null;
    },
  };
}
