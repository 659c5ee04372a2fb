import { HOST_ROLE, hasRole } from "@nepi/core";
import { useEditor } from "../editor";
import { useDesignStore } from "../designer/store";
import { saveDesign } from "../designer/persistence";

/**
 * "Terminal" on a host: opens a shell on that machine in a pane. The backend reaches the host
 * with the saved experiment's settings (credentials never come to the page), so a design with
 * unsaved changes is saved first.
 */
export function TerminalButton({ guid }: { guid: number }) {
  const rtype = useDesignStore((s) => s.nodes.find((n) => n.data.guid === guid)?.data.rtype);
  const isHost = useDesignStore((s) => hasRole(rtype ? s.catalog[rtype] : undefined, HOST_ROLE));
  const label = useDesignStore((s) => s.nodes.find((n) => n.data.guid === guid)?.data.label);
  const editor = useEditor();
  if (!isHost) return null;

  const open = async () => {
    const d = editor.design.getState();
    const experimentId = d.readOnly || (!d.dirty && d.experimentId) ? d.experimentId : await saveDesign(editor.design);
    if (!experimentId) return;
    editor.ui.getState().openTerminal({ experimentId, guid, label: label || `${rtype ?? "host"} #${guid}` });
  };
  return (
    <button
      type="button"
      className="btn btn-small"
      data-testid="open-terminal"
      title="A shell on this machine, with the saved experiment's settings"
      onClick={() => void open()}
    >
      Terminal
    </button>
  );
}
