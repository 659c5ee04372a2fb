import { createContext, useContext, useState, type ReactNode } from "react";
import { createDesignerStore, DesignStoreProvider, type DesignStore } from "./designer/store";
import { createUiStore, UiStoreProvider, type UiStore } from "./designer/ui";
import { createRunStore, RunStoreProvider, type RunStore } from "./run/store";
import { createLiveRuns, type LiveRuns } from "./run/live";
import { createRunActions, type RunActions } from "./run/actions";

/** One editor: its stores, the run it follows and what its buttons do. Nothing of it is global. */
export interface Editor {
  design: DesignStore;
  run: RunStore;
  ui: UiStore;
  live: LiveRuns;
  runs: RunActions;
}

export function createEditor(): Editor {
  const design = createDesignerStore();
  const run = createRunStore();
  const live = createLiveRuns(run);
  return { design, run, ui: createUiStore(), live, runs: createRunActions(design, run, live) };
}

const EditorContext = createContext<Editor | null>(null);

/** Gives the components below it one editor (a new one unless `editor` is passed). */
export function EditorProvider({ editor, children }: { editor?: Editor; children?: ReactNode }) {
  const [own] = useState(() => editor ?? createEditor());
  return (
    <EditorContext.Provider value={own}>
      <DesignStoreProvider store={own.design}>
        <RunStoreProvider store={own.run}>
          <UiStoreProvider store={own.ui}>{children}</UiStoreProvider>
        </RunStoreProvider>
      </DesignStoreProvider>
    </EditorContext.Provider>
  );
}

/** The editor this component is in: its stores and actions, for event handlers. */
export function useEditor(): Editor {
  const editor = useContext(EditorContext);
  if (!editor) throw new Error("useEditor() is called outside <EditorProvider>");
  return editor;
}
