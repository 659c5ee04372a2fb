import { describe, expect, it } from "vitest";
import { listResourceTypes, type ResourceTypeInfo } from "@nepi/core";
import { autoLayout } from "./layout";
import type { ResourceNode } from "./model";

const core = Object.fromEntries(listResourceTypes().map((t) => [t.rtype, t]));
/** A host kind the web app never heard of: only its role says it is a host. */
const NAMESPACE: ResourceTypeInfo = {
  ...core["linux::Node"]!,
  rtype: "test::Namespace",
  look: { abbreviation: "NS", group: "test", color: "#ccc" },
};
const catalog = { ...core, [NAMESPACE.rtype]: NAMESPACE };

function node(guid: number, rtype: string): ResourceNode {
  return {
    id: String(guid),
    type: "resource",
    position: { x: 0, y: 0 },
    data: { guid, rtype, label: "", attributes: {}, traces: [] },
  };
}

describe("autoLayout", () => {
  it("puts a host left of what runs on it, whichever way the connection was drawn and whatever the host's type", async () => {
    const nodes = [node(1, "test::Namespace"), node(2, "linux::Application"), node(3, "linux::Node"), node(4, "linux::Ping")];
    const connections = [
      { id: "1-2", source: 1, target: 2 },
      { id: "4-3", source: 4, target: 3 },
    ];
    const at = await autoLayout(nodes, connections, [], catalog);
    expect(at.get(1)!.x).toBeLessThan(at.get(2)!.x);
    expect(at.get(3)!.x).toBeLessThan(at.get(4)!.x);
  });
});
