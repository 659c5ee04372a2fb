import { createStore } from "zustand";
import { createContentIds } from "./model";
import { storeContext } from "../store-context";
import { createCatalogSlice } from "./slices/catalog";
import { createClipboardSlice } from "./slices/clipboard";
import { createContentSlice } from "./slices/content";
import { createHistory } from "./slices/history";
import { createHostChecksSlice } from "./slices/host-checks";
import { createNoticesSlice } from "./slices/notices";
import { createSelectionSlice } from "./slices/selection";
import type { DesignState, DesignStore } from "./slices/state";

export type { DesignState, DesignStore } from "./slices/state";
export type { AttributeConditionPatch, ExperimentId } from "./slices/content";
export type { Notice } from "./slices/notices";

/**
 * A designer store: the design with its undo history, the selection, the clipboard, the last
 * notice and the catalog, each a slice. One per editor, and a fresh one per test.
 */
export function createDesignerStore(): DesignStore {
  return createStore<DesignState>()((set, get, api) => {
    const history = createHistory(set, get);
    const ids = createContentIds();
    return {
      ...createContentSlice(history, ids)(set, get, api),
      ...createSelectionSlice(set, get, api),
      ...createClipboardSlice(history, ids)(set, get, api),
      ...createNoticesSlice(set, get, api),
      ...createCatalogSlice(set, get, api),
      ...createHostChecksSlice(set, get, api),
    };
  });
}

const designer = storeContext<DesignState>("designer store");

/** Gives the components below it their designer store. */
export const DesignStoreProvider = designer.Provider;
/** The designer store of the editor this component is in (for event handlers). */
export const useDesignStoreApi = designer.useApi;
/** Reads a part of the designer state; re-renders when that part changes. */
export const useDesignStore = designer.useSelect;
