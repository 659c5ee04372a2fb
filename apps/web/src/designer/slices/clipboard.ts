import {
  makeNode,
  type ContentIds,
  type DesignAttributeCondition,
  type DesignCondition,
  type DesignConnection,
  type ResourceNode,
} from "../model";
import { connectionEdgeId } from "../edge-ids";
import { nextGuid } from "./content";
import type { History } from "./history";
import type { DesignSlice } from "./state";

/** Copied resources with the connections and conditions among them. */
export interface Clipboard {
  nodes: ResourceNode[];
  connections: DesignConnection[];
  conditions: DesignCondition[];
  attributeConditions: DesignAttributeCondition[];
}

export interface ClipboardSlice {
  clipboard: Clipboard | null;
  /** Copies the selected resources; returns how many. */
  copySelection(): number;
  /** Adds a copy of the clipboard with new guids, selected; returns their guids. */
  paste(): number[];
}

/** Where a paste lands, from the copied resources. */
const PASTE_OFFSET = 40;

const within = (guids: ReadonlySet<number>) => (c: { group: number[]; after: number[] }) =>
  c.group.every((g) => guids.has(g)) && c.after.every((g) => guids.has(g));

export function createClipboardSlice(history: History, ids: ContentIds): DesignSlice<ClipboardSlice> {
  return (set, get) => ({
    clipboard: null,

    copySelection() {
      const s = get();
      const guids = new Set(s.selectedGuids);
      if (!guids.size) return 0;
      set({
        clipboard: {
          nodes: s.nodes.filter((n) => guids.has(n.data.guid)),
          connections: s.connections.filter((c) => guids.has(c.source) && guids.has(c.target)),
          conditions: s.conditions.filter(within(guids)),
          attributeConditions: s.attributeConditions.filter(within(guids)),
        },
      });
      return guids.size;
    },

    paste() {
      const clip = get().clipboard;
      if (!clip) return [];
      const pasted: number[] = [];
      const done = history.commit((s) => {
        const remap = new Map<number, number>();
        let guid = nextGuid(s.nodes);
        for (const n of clip.nodes) remap.set(n.data.guid, guid++);
        const to = (g: number) => remap.get(g)!;
        const nodes = [...s.nodes];
        for (const n of clip.nodes) {
          pasted.push(to(n.data.guid));
          const data = { ...n.data, guid: to(n.data.guid), attributes: { ...n.data.attributes }, traces: [...n.data.traces] };
          nodes.push(makeNode(data, { x: n.position.x + PASTE_OFFSET, y: n.position.y + PASTE_OFFSET }));
        }
        const connections = [
          ...s.connections,
          ...clip.connections.map((c) => ({
            id: connectionEdgeId(to(c.source), to(c.target)),
            source: to(c.source),
            target: to(c.target),
          })),
        ];
        const conditions = [
          ...s.conditions,
          ...clip.conditions.map((c) => ({ ...c, id: ids.condition(), group: c.group.map(to), after: c.after.map(to) })),
        ];
        const attributeConditions = [
          ...s.attributeConditions,
          ...clip.attributeConditions.map((c) => ({
            ...c,
            id: ids.attributeCondition(),
            group: c.group.map(to),
            after: c.after.map(to),
          })),
        ];
        return { nodes, connections, conditions, attributeConditions };
      });
      if (!done) return [];
      get().select(pasted);
      // The next paste lands beside this one rather than on top of it.
      const moved = clip.nodes.map((n) => ({
        ...n,
        position: { x: n.position.x + PASTE_OFFSET, y: n.position.y + PASTE_OFFSET },
      }));
      set({ clipboard: { ...clip, nodes: moved } });
      return pasted;
    },
  });
}
