import type { StateCreator, StoreApi } from "zustand";
import type { CatalogSlice } from "./catalog";
import type { ClipboardSlice } from "./clipboard";
import type { ContentSlice } from "./content";
import type { HostChecksSlice } from "./host-checks";
import type { NoticesSlice } from "./notices";
import type { SelectionSlice } from "./selection";

/** The whole designer state: the slices side by side in one store. */
export type DesignState = ContentSlice & SelectionSlice & ClipboardSlice & NoticesSlice & CatalogSlice & HostChecksSlice;

export type DesignStore = StoreApi<DesignState>;

/** One slice of the designer: it reads and writes the whole state, and returns its own part. */
export type DesignSlice<T> = StateCreator<DesignState, [], [], T>;
