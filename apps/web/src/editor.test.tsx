import { describe, expect, it } from "vitest";
import { renderToStaticMarkup } from "react-dom/server";
import { createEditor, EditorProvider } from "./editor";
import { useDesignStore, useDesignStoreApi } from "./designer/store";
import { useRunStoreApi } from "./run/store";

/** Shows which stores it was given (read directly: a server render sees a store's initial state only). */
function Probe() {
  const name = useDesignStoreApi().getState().name;
  const runId = useRunStoreApi().getState().runId;
  return (
    <span>
      {name}/{runId ?? "no run"}
    </span>
  );
}

describe("the editor's stores through React context", () => {
  it("a component reads the stores of the editor it is rendered in", () => {
    const a = createEditor();
    const b = createEditor();
    a.design.getState().setName("design a");
    b.design.getState().setName("design b");
    b.run.getState().beginRun("run-b");
    const html = renderToStaticMarkup(
      <>
        <EditorProvider editor={a}>
          <Probe />
        </EditorProvider>
        <EditorProvider editor={b}>
          <Probe />
        </EditorProvider>
      </>,
    );
    expect(html).toBe("<span>design a/no run</span><span>design b/run-b</span>");
  });

  it("a component outside any editor says so instead of reading a global store", () => {
    expect(() => renderToStaticMarkup(<Probe />)).toThrow(/outside its provider/);
    const Selecting = () => <span>{useDesignStore((s) => s.name)}</span>;
    expect(() => renderToStaticMarkup(<Selecting />)).toThrow(/designer store is read outside its provider/);
  });
});
