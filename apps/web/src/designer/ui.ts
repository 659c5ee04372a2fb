import { create } from "zustand";

/** Designer UI state that is not part of the design: which dialog is open. */
export const useUiStore = create<{ openDialog: boolean; setOpenDialog(open: boolean): void }>()((set) => ({
  openDialog: false,
  setOpenDialog: (openDialog) => set({ openDialog }),
}));
