import { createStore, type StoreApi } from "zustand";
import { storeContext } from "../store-context";

/** Designer UI state that is not part of the design: which dialog is open. */
export interface UiState {
  openDialog: boolean;
  setOpenDialog(open: boolean): void;
}

export type UiStore = StoreApi<UiState>;

export function createUiStore(): UiStore {
  return createStore<UiState>()((set) => ({
    openDialog: false,
    setOpenDialog: (openDialog) => set({ openDialog }),
  }));
}

const ui = storeContext<UiState>("UI store");

export const UiStoreProvider = ui.Provider;
export const useUiStore = ui.useSelect;
