import { createStore, type StoreApi } from "zustand";
import { storeContext } from "../store-context";
import { terminalsSlice, type TerminalsSlice } from "../terminal/terminals";

/** Designer UI state that is not part of the design: which dialog is open, which terminals. */
export interface UiState extends TerminalsSlice {
  openDialog: boolean;
  setOpenDialog(open: boolean): void;
}

export type UiStore = StoreApi<UiState>;

export function createUiStore(): UiStore {
  return createStore<UiState>()((set) => ({
    openDialog: false,
    setOpenDialog: (openDialog) => set({ openDialog }),
    ...terminalsSlice(set),
  }));
}

const ui = storeContext<UiState>("UI store");

export const UiStoreProvider = ui.Provider;
export const useUiStore = ui.useSelect;
