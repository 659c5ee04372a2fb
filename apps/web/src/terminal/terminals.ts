import { TERMINAL_PATH, type TerminalSize } from "@nepi/core";

/** A terminal pane: a shell on the machine of resource `guid` of a saved experiment. */
export interface TerminalTarget {
  id: number;
  experimentId: string;
  guid: number;
  /** What the pane's title says: the host's label. */
  label: string;
}

/** The open terminal panes: they outlive the selection and close only when their pane does. */
export interface TerminalsSlice {
  terminals: TerminalTarget[];
  openTerminal(target: Omit<TerminalTarget, "id">): void;
  closeTerminal(id: number): void;
}

let nextId = 0;

export function terminalsSlice(set: (fn: (s: TerminalsSlice) => Partial<TerminalsSlice>) => void): TerminalsSlice {
  return {
    terminals: [],
    openTerminal: (target) => set((s) => ({ terminals: [...s.terminals, { ...target, id: ++nextId }] })),
    closeTerminal: (id) => set((s) => ({ terminals: s.terminals.filter((t) => t.id !== id) })),
  };
}

/** The terminal WebSocket's address on this page's server (its cookie carries the token). */
export function terminalUrl(target: TerminalTarget, size: TerminalSize, origin = window.location.origin): string {
  const query = new URLSearchParams({
    experimentId: target.experimentId,
    guid: String(target.guid),
    cols: String(size.cols),
    rows: String(size.rows),
  });
  return `${origin.replace(/^http/, "ws")}${TERMINAL_PATH}?${query.toString()}`;
}
