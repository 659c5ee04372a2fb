import { describe, expect, it } from "vitest";
import { renderToStaticMarkup } from "react-dom/server";
import type { ExperimentDocument } from "@nepi/core";
import { createEditor, EditorProvider } from "../editor";
import { InsertTopologyDialog } from "./InsertTopologyDialog";
import { INITIAL_TOPOLOGY_FORM, connectedMachine, insertionPoint, machinesOf, previewTopology, specOf } from "./insert-topology";

const MACHINES: ExperimentDocument = {
  format: "nepi-experiment@1",
  name: "machines",
  resources: [
    { guid: 1, type: "linux::Node", label: "far", attributes: { hostname: "10.0.0.9" }, traces: [], position: { x: 40, y: 0 } },
    { guid: 2, type: "netns::Node", label: "h1", attributes: {}, traces: [], position: { x: 300, y: 120 } },
    { guid: 3, type: "linux::Ping", label: "ping", attributes: { target: "x" }, traces: [], position: { x: 600, y: 20 } },
  ],
  connections: [{ source: 2, target: 1 }],
  conditions: [],
};

function editorWith(doc: ExperimentDocument) {
  const editor = createEditor();
  editor.design.getState().loadDocument(doc);
  return editor;
}

describe("Insert topology… form", () => {
  it("asks each kind for its own sizes and the links' shaping", () => {
    expect(specOf({ ...INITIAL_TOPOLOGY_FORM, kind: "tree", depth: "2", fanout: "3", hosts: "99" })).toEqual({
      kind: "tree",
      depth: 2,
      fanout: 3,
      link: { rate: "10mbit", delay: "", loss: 0 },
    });
    expect(specOf({ ...INITIAL_TOPOLOGY_FORM, kind: "grid", rows: "2", cols: "5", loss: "1.5", machine: "4" })).toEqual({
      kind: "grid",
      rows: 2,
      cols: 5,
      link: { rate: "10mbit", delay: "", loss: 1.5 },
      machine: 4,
    });
  });

  it("previews what Insert adds, or says which field is wrong", () => {
    expect(previewTopology(specOf({ ...INITIAL_TOPOLOGY_FORM, kind: "star", hosts: "1000" }))).toMatchObject({
      ok: true,
      text: "1000 hosts, 1 switch, 1000 links",
    });
    expect(previewTopology(specOf({ ...INITIAL_TOPOLOGY_FORM, kind: "line", hosts: "3" }))).toMatchObject({
      ok: true,
      text: "3 hosts, 2 links",
    });
    expect(previewTopology(specOf({ ...INITIAL_TOPOLOGY_FORM, kind: "ring", hosts: "" }))).toMatchObject({
      ok: false,
      field: "hosts",
    });
    expect(previewTopology(specOf({ ...INITIAL_TOPOLOGY_FORM, rate: "quick" }))).toMatchObject({ ok: false, field: "link.rate" });
  });

  it("lists the design's machines and goes below the design", () => {
    const editor = editorWith(MACHINES);
    const s = editor.design.getState();
    expect(machinesOf(s.nodes, s.catalog)).toEqual([{ guid: 1, name: "far #1" }]);
    expect(insertionPoint(s.nodes)).toEqual({ x: 40, y: 370 });
    expect(insertionPoint([])).toEqual({ x: 0, y: 0 });
  });

  it("renders the fields of the chosen kind, this machine first, and the preview", () => {
    const html = renderToStaticMarkup(
      <EditorProvider>
        <InsertTopologyDialog onClose={() => undefined} />
      </EditorProvider>,
    );
    expect(html).toContain('data-testid="topology-hosts"');
    expect(html).not.toContain('data-testid="topology-depth"');
    for (const kind of ["line", "ring", "star", "tree", "grid"]) expect(html).toContain(`<option value="${kind}"`);
    expect(html).toContain("this machine (localhost)");
    expect(html).toContain("Adds 4 hosts, 1 switch, 4 links.");
  });
});

describe("the machine picker", () => {
  it("shows the machine connected by hand, and this machine when none", () => {
    const editor = editorWith(MACHINES);
    const machines = () => machinesOf(editor.design.getState().nodes, editor.design.getState().catalog);
    expect(connectedMachine(editor.design.getState().connections, machines(), 2)).toBe(1);
    editor.design.getState().setMachine(2, null);
    expect(connectedMachine(editor.design.getState().connections, machines(), 2)).toBeNull();
    editor.design.getState().setMachine(2, 1);
    expect(connectedMachine(editor.design.getState().connections, machines(), 2)).toBe(1);
    // The ping is connected to no machine.
    expect(connectedMachine(editor.design.getState().connections, machines(), 3)).toBeNull();
  });
});
