import { useEditor } from "../editor";
import { useUiStore } from "../designer/ui";
import { TerminalPane } from "./TerminalPane";
import "./terminal.css";

/** The open terminal panes, floating over the canvas, newest on the right. */
export function TerminalDock() {
  const terminals = useUiStore((s) => s.terminals);
  const editor = useEditor();
  if (terminals.length === 0) return null;
  return (
    <div className="terminal-dock">
      {terminals.map((t) => (
        <TerminalPane key={t.id} target={t} onClose={() => editor.ui.getState().closeTerminal(t.id)} />
      ))}
    </div>
  );
}
