import { describe, expect, it } from "vitest";
import { getResourceType } from "../catalog/registry.js";
import { NETNS_LINK } from "../catalog/types/netns-link.js";
import { NETNS_NODE } from "../catalog/types/netns-node.js";
import { NETNS_SWITCH } from "../catalog/types/netns-switch.js";
import { validateDocument } from "../engine/validate.js";
import { DOCUMENT_FORMAT } from "../model/document.js";
import { generateTopology, type Topology, type TopologySpec } from "./topologies.js";

function count(t: Topology, rtype: string): number {
  return t.resources.filter((r) => r.type === rtype).length;
}

/** The endpoints each link joins. */
function ends(t: Topology): [number, number][] {
  const byLink = new Map<number, number[]>();
  const links = new Set(t.resources.filter((r) => r.type === NETNS_LINK.rtype).map((r) => r.guid));
  for (const c of t.connections) if (links.has(c.source)) byLink.set(c.source, [...(byLink.get(c.source) ?? []), c.target]);
  return [...byLink.values()].map((e) => [e[0]!, e[1]!]);
}

/** True when every host and switch is reachable from the first over links. */
function connected(t: Topology): boolean {
  const nodes = t.resources.filter((r) => r.type !== NETNS_LINK.rtype).map((r) => r.guid);
  const next = new Map<number, number[]>(nodes.map((g) => [g, []]));
  for (const [a, b] of ends(t)) {
    next.get(a)!.push(b);
    next.get(b)!.push(a);
  }
  const seen = new Set([nodes[0]!]);
  const todo = [nodes[0]!];
  while (todo.length) for (const n of next.get(todo.pop()!)!) if (!seen.has(n) && seen.add(n)) todo.push(n);
  return seen.size === nodes.length;
}

function make(spec: TopologySpec, taken: string[] = []) {
  const t = generateTopology(spec, { firstGuid: 10, takenLabels: taken, origin: { x: 100, y: 50 } });
  const labels = t.resources.map((r) => r.label);
  expect(new Set([...labels, ...taken]).size, "labels unique").toBe(labels.length + taken.length);
  expect(new Set(t.resources.map((r) => r.guid)).size).toBe(t.resources.length);
  expect(Math.min(...t.resources.map((r) => r.guid))).toBe(10);
  expect(Math.min(...t.resources.map((r) => r.position.x))).toBe(100);
  expect(Math.min(...t.resources.map((r) => r.position.y))).toBe(50);
  expect(connected(t)).toBe(true);
  // Every generated design is valid as it is: links have their two ends, hosts their machine rule.
  const problems = validateDocument({
    format: DOCUMENT_FORMAT,
    name: "t",
    resources: t.resources,
    connections: t.connections,
    conditions: [],
  }).filter((p) => p.severity !== "warning");
  expect(problems).toEqual([]);
  return t;
}

describe("generateTopology", () => {
  it("a line: N hosts, N-1 links, the ones in between forwarding", () => {
    const t = make({ kind: "line", hosts: 3, link: { rate: "10mbit", delay: "20ms", loss: 1 } });
    expect(count(t, NETNS_NODE.rtype)).toBe(3);
    expect(count(t, NETNS_LINK.rtype)).toBe(2);
    expect(t.resources.filter((r) => r.attributes.forwarding === true).map((r) => r.label)).toEqual(["r1"]);
    const link = t.resources.find((r) => r.type === NETNS_LINK.rtype)!;
    expect(link.attributes).toEqual({ rate: "10mbit", delay: "20ms", loss: 1 });
    expect(link.traces).toEqual(["counters"]);
  });

  it("a ring: N hosts, N links, each host with two", () => {
    const t = make({ kind: "ring", hosts: 6 });
    expect(count(t, NETNS_NODE.rtype)).toBe(6);
    expect(count(t, NETNS_LINK.rtype)).toBe(6);
    const degree = new Map<number, number>();
    for (const [a, b] of ends(t)) for (const g of [a, b]) degree.set(g, (degree.get(g) ?? 0) + 1);
    expect([...degree.values()]).toEqual([2, 2, 2, 2, 2, 2]);
  });

  it("a star: one switch, N hosts around it, each linked to it", () => {
    const t = make({ kind: "star", hosts: 1000 });
    expect(count(t, NETNS_SWITCH.rtype)).toBe(1);
    expect(count(t, NETNS_NODE.rtype)).toBe(1000);
    expect(t.counts).toEqual({ hosts: 1000, switches: 1, links: 1000 });
    expect(count(t, NETNS_LINK.rtype)).toBe(1000);
    const hub = t.resources.find((r) => r.type === NETNS_SWITCH.rtype)!;
    expect(ends(t).every(([a]) => a === hub.guid)).toBe(true);
    // Around the switch: every host at least 300 px from it, none on top of another.
    const hosts = t.resources.filter((r) => r.type === NETNS_NODE.rtype);
    for (const h of hosts) expect(Math.hypot(h.position.x - hub.position.x, h.position.y - hub.position.y)).toBeGreaterThan(300);
    expect(new Set(hosts.map((h) => `${h.position.x},${h.position.y}`)).size).toBe(1000);
  });

  it("a tree: routers by levels, fanout^depth hosts at the leaves", () => {
    const t = make({ kind: "tree", depth: 2, fanout: 3 });
    expect(count(t, NETNS_NODE.rtype)).toBe(1 + 3 + 9);
    expect(count(t, NETNS_LINK.rtype)).toBe(12);
    const hosts = t.resources.filter((r) => r.type === NETNS_NODE.rtype);
    expect(hosts.filter((h) => h.attributes.forwarding === true)).toHaveLength(4);
    // One row per level, the root above the middle of its leaves.
    expect(new Set(hosts.map((h) => h.position.y)).size).toBe(3);
    const root = hosts.find((h) => h.label === "r1")!;
    const leaves = hosts.filter((h) => h.attributes.forwarding !== true).map((h) => h.position.x);
    expect(root.position.x).toBe((Math.min(...leaves) + Math.max(...leaves)) / 2);
  });

  it("a grid: rows × cols routers, linked to their right and lower neighbours", () => {
    const t = make({ kind: "grid", rows: 3, cols: 4 });
    expect(count(t, NETNS_NODE.rtype)).toBe(12);
    expect(count(t, NETNS_LINK.rtype)).toBe(3 * 3 + 2 * 4);
    const hosts = t.resources.filter((r) => r.type === NETNS_NODE.rtype);
    expect(new Set(hosts.map((h) => h.position.x)).size).toBe(4);
    expect(new Set(hosts.map((h) => h.position.y)).size).toBe(3);
  });

  it("never repeats a label the design has", () => {
    const t = make({ kind: "line", hosts: 3 }, ["h1", "h2", "l1", "r1"]);
    expect(t.resources.map((r) => r.label)).toEqual(["h3", "r2", "l2", "h4", "l3"]);
  });

  it("builds on the machine it is given", () => {
    const t = generateTopology({ kind: "star", hosts: 2, machine: 1 }, { firstGuid: 2 });
    expect(t.connections.filter((c) => c.target === 1).map((c) => c.source)).toEqual([2, 3, 5]);
    expect(getResourceType(NETNS_NODE.rtype).connections[0]?.role).toBe("machine");
  });

  it("refuses numbers that make no topology, naming the field", () => {
    const bad = (spec: TopologySpec) => {
      try {
        generateTopology(spec, { firstGuid: 1 });
      } catch (e) {
        return [(e as { code: string }).code, (e as { path: string }).path, (e as Error).message];
      }
      return null;
    };
    expect(bad({ kind: "ring", hosts: 2 })).toEqual([
      "BAD_VALUE",
      "hosts",
      "hosts: a ring needs a whole number of at least 3, got 2",
    ]);
    expect(bad({ kind: "line", hosts: 2.5 })?.[1]).toBe("hosts");
    expect(bad({ kind: "tree", depth: 2 })?.[1]).toBe("fanout");
    expect(bad({ kind: "tree", depth: 40, fanout: 2 })?.[1]).toBe("depth");
    expect(bad({ kind: "grid", rows: 1, cols: 1 })?.[1]).toBe("cols");
    expect(bad({ kind: "star", hosts: 100_000 })?.[1]).toBe("hosts");
    expect(bad({ kind: "line", hosts: 2, link: { rate: "fast" } })?.[1]).toBe("link.rate");
    expect(bad({ kind: "line", hosts: 2, link: { delay: "20" } })?.[1]).toBe("link.delay");
    expect(bad({ kind: "line", hosts: 2, link: { loss: 120 } })?.[1]).toBe("link.loss");
  });
});
