import { useEffect } from "react";
import { useDesignStoreApi } from "./store";
import { saveDesign } from "./persistence";

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT";
}

/**
 * Designer shortcuts: Del/Backspace, Escape (clear the selection), Ctrl+C/V, Ctrl+Z, Ctrl+Shift+Z (and Ctrl+Y), Ctrl+A,
 * Ctrl+S. Inside a text field the browser's own editing keys win, except Ctrl+S.
 */
export function useDesignerShortcuts(): void {
  const design = useDesignStoreApi();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      const store = design.getState();
      if (mod && key === "s") {
        e.preventDefault();
        void saveDesign(design);
        return;
      }
      if (isTyping(e.target)) return;
      if (e.key === "Escape" && !document.querySelector("dialog[open]")) {
        store.select([]);
        return;
      }
      if (!mod && (e.key === "Delete" || e.key === "Backspace")) {
        if (store.selectedGuids.length || store.selectedEdgeIds.length) {
          e.preventDefault();
          store.deleteSelection();
        }
        return;
      }
      if (!mod) return;
      if (key === "z" && !e.shiftKey) {
        e.preventDefault();
        store.undo();
      } else if ((key === "z" && e.shiftKey) || key === "y") {
        e.preventDefault();
        store.redo();
      } else if (key === "c") {
        const n = store.copySelection();
        if (n) store.notify("info", `Copied ${n} resource${n === 1 ? "" : "s"}.`);
      } else if (key === "v") {
        e.preventDefault();
        store.paste();
      } else if (key === "a") {
        e.preventDefault();
        store.selectAll();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [design]);
}
