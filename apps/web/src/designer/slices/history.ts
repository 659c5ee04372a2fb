import { buildEdges, contentToDocument, type DesignContent } from "../model";
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
      const edges =
        patch.connections !== undefined || patch.conditions !== undefined
          ? buildEdges(next.connections, next.conditions)
          : s.edges;
      set({
        ...patch,
        past: sameGesture ? s.past : pastWith(s.past, s),
        future: [],
        dirty: true,
        edges,
        ...(patch.nodes || edges !== s.edges ? selectionWithin(s, next.nodes, edges) : {}),
        problems: computeProblems(contentToDocument(next)),
      });
      return true;
    },

    replaceContent(content, extra) {
      lastCoalesceKey = null;
      const edges = buildEdges(content.connections, content.conditions);
      set({
        ...content,
        edges,
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
