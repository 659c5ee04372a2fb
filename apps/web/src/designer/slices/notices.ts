import type { DesignSlice } from "./state";

export interface Notice {
  id: number;
  kind: "info" | "error" | "success";
  text: string;
}

/** The last user message (a refused connection, a saved design…); the UI shows it as a toast. */
export interface NoticesSlice {
  notice: Notice | null;
  notify(kind: Notice["kind"], text: string): void;
  dismissNotice(): void;
}

export const createNoticesSlice: DesignSlice<NoticesSlice> = (set) => {
  // Each message gets a new id, so the same text twice still shows (and times out) twice.
  let seq = 0;
  return {
    notice: null,
    notify(kind, text) {
      seq += 1;
      set({ notice: { id: seq, kind, text } });
    },
    dismissNotice() {
      set({ notice: null });
    },
  };
};
