import { describe, expect, it } from "vitest";
import { renderToStaticMarkup } from "react-dom/server";
import { ReactFlowProvider, type NodeProps } from "@xyflow/react";
import { defineResourceType, getResourceType, type ResourceTypeInfo } from "@nepi/core";
import type { ResourceNode as ResourceNodeType } from "./model";

/** A type the web app has never heard of: everything it shows of it comes from the definition. */
const NAMESPACE: ResourceTypeInfo = {
  rtype: "test::Namespace",
  backend: "test",
  help: "a network namespace",
  attributes: [{ name: "name", type: "string", help: "Its name.", flags: { design: true } }],
  traces: [{ name: "log", help: "what happened" }],
  roles: ["host"],
  connections: [],
  finishes: "never",
  look: { abbreviation: "NS", group: "network", summary: "netns {name}", color: "#fcd34d" },
  charts: [{ trace: "log", parser: "ping" }],
  platform: "node",
};

// Defined in core before the designer loads (server rendering reads the stores' initial state,
// whose catalog is core's): no line of the web app names it.
defineResourceType(NAMESPACE);
const { Palette } = await import("./Palette");
const { ResourceNode } = await import("./ResourceNode");
const { hasChart } = await import("../run/TraceCharts");
const { EditorProvider } = await import("../editor");

// A fresh editor per render: its catalog is core's, which now holds the type defined above.
const render = (element: React.ReactElement) =>
  renderToStaticMarkup(
    <EditorProvider>
      <ReactFlowProvider>{element}</ReactFlowProvider>
    </EditorProvider>,
  );

/** The palette section of one group, as HTML. */
function group(html: string, name: string): string {
  const m = new RegExp(`<section[^>]*data-group="${name}"[^>]*>.*?</section>`).exec(html);
  return m?.[0] ?? "";
}

function node(rtype: string, attributes: Record<string, string>): string {
  const data = { guid: 1, rtype, label: "n1", attributes, traces: [] };
  const props = { id: "1", data, selected: false } as unknown as NodeProps<ResourceNodeType>;
  return render(<ResourceNode {...props} />);
}

describe("the designer reads the type definitions", () => {
  it("lists each type under its definition's palette group, with its abbreviation", () => {
    const html = render(<Palette />);
    const network = group(html, "network");
    expect(network).toContain('data-rtype="test::Namespace"');
    expect(network).toMatch(/class="palette-icon[^"]*"[^>]*>NS</);
    // linux::Mtr was added as a definition, a manager and a test: the palette knows it as it knows ping.
    const linux = group(html, "linux");
    expect(linux).toContain('data-rtype="linux::Mtr"');
    expect(linux).toMatch(/data-rtype="linux::Mtr".*?class="palette-icon[^"]*"[^>]*>MT</);
    expect(linux).not.toContain("test::Namespace");
    // A host comes first in its group (what the others run on), then the rest by name.
    const order = [...linux.matchAll(/data-rtype="([^"]+)"/g)].map((m) => m[1]);
    expect(order[0]).toBe("linux::Node");
    expect(order.slice(1)).toEqual([...order.slice(1)].sort());
  });

  it("shows a node's summary line as its definition builds it", () => {
    expect(node("linux::Mtr", { target: "10.0.0.1" })).toMatch(/data-testid="node-summary"[^>]*>mtr 10\.0\.0\.1</);
    expect(node("test::Namespace", { name: "lab" })).toMatch(/data-testid="node-summary"[^>]*>netns lab</);
    expect(node("test::Namespace", {})).not.toContain("node-summary");
  });

  it("draws a chart for the traces the definition names, and only those", () => {
    expect(hasChart(NAMESPACE, "log")).toBe(true);
    expect(hasChart(getResourceType("linux::Ping"), "stdout")).toBe(true);
    expect(hasChart(getResourceType("linux::Mtr"), "stdout")).toBe(false);
  });
});
