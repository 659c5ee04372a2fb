import { useEffect } from "react";
import { ReactFlowProvider } from "@xyflow/react";
import { Toolbar } from "./designer/Toolbar";
import { Palette } from "./designer/Palette";
import { Canvas } from "./designer/Canvas";
import { Inspector } from "./designer/Inspector";
import { ProblemsList } from "./designer/ProblemsList";
import { Toast } from "./designer/Toast";
import { Legend } from "./designer/Legend";
import { useDesignerShortcuts } from "./designer/shortcuts";
import { loadCatalog } from "./designer/persistence";
import { autosaveDraft, restoreDraft } from "./designer/draft";
import { RunDock } from "./run/RunDock";
import { EditorProvider, useEditor, type Editor } from "./editor";
import { TerminalDock } from "./terminal/TerminalDock";

/** The studio: one editor (its stores) for everything below. */
export function App({ editor }: { editor?: Editor }) {
  return (
    <EditorProvider editor={editor}>
      <ReactFlowProvider>
        <Studio />
      </ReactFlowProvider>
    </EditorProvider>
  );
}

/** Palette | canvas | inspector, a toolbar above and a dock below (problems beside the run). */
function Studio() {
  const { design } = useEditor();
  useDesignerShortcuts();
  useEffect(() => {
    void loadCatalog(design);
  }, [design]);
  // The design survives a reload: restored from the browser's draft, then kept up to date.
  useEffect(() => {
    restoreDraft(design);
    return autosaveDraft(design);
  }, [design]);
  return (
    <div className="app">
      <Toolbar />
      <Palette />
      <main className="canvas-area">
        <div className="canvas-wrap">
          <Canvas />
        </div>
        <Legend />
      </main>
      <Inspector />
      <div className="dock">
        <ProblemsList />
        <div className="dock-run">
          <RunDock />
        </div>
      </div>
      <Toast />
      <TerminalDock />
    </div>
  );
}
