import { describe, expect, it } from "vitest";
import { addressOf, planTopology, resolveIpPlaceholders, type TopologyEndpoint, type TopologyInput } from "./plan.js";

const host = (guid: number, label: string, forwarding = false, machine = "local"): TopologyEndpoint => ({
  guid,
  label,
  kind: "host",
  machine,
  forwarding,
});
const sw = (guid: number, label: string, machine = "local"): TopologyEndpoint => ({
  guid,
  label,
  kind: "switch",
  machine,
  forwarding: false,
});

/** h1 — r1 — r2 — h2: three links, two routers. */
const CHAIN: TopologyInput = {
  tag: "t1",
  endpoints: [host(1, "h1"), host(2, "r1", true), host(3, "r2", true), host(4, "h2")],
  links: [
    { guid: 10, ends: [1, 2] },
    { guid: 11, ends: [2, 3] },
    { guid: 12, ends: [3, 4] },
  ],
};

describe("planning a line of two hosts", () => {
  const plan = planTopology({ tag: "t1", endpoints: [host(1, "a"), host(2, "b")], links: [{ guid: 5, ends: [2, 1] }] });
  it("gives each host a namespace and the link a veth pair with a /30 from the pool", () => {
    expect(plan.hosts[1]!.namespace).toBe("nepi-t1-h1");
    expect(plan.segments).toEqual([{ id: 0, subnet: "10.100.0.0/30", links: [5], switches: [], hosts: [1, 2] }]);
    expect(plan.links[5]).toEqual({
      guid: 5,
      kind: "veth",
      segment: 0,
      ends: [
        { guid: 1, kind: "host", machine: "local", namespace: "nepi-t1-h1", dev: "eth0", address: "10.100.0.1/30" },
        { guid: 2, kind: "host", machine: "local", namespace: "nepi-t1-h2", dev: "eth0", address: "10.100.0.2/30" },
      ],
    });
    expect(plan.hosts[2]!.addresses).toEqual([{ segment: 0, link: 5, dev: "eth0", ip: "10.100.0.2", cidr: "10.100.0.2/30" }]);
    expect(plan.hosts[1]!.routes).toEqual([]);
  });
});

describe("planning a star on a switch", () => {
  const plan = planTopology({
    tag: "s",
    endpoints: [sw(1, "sw"), host(2, "hub"), host(3, "a"), host(4, "b")],
    links: [
      { guid: 20, ends: [1, 2] },
      { guid: 21, ends: [3, 1] },
      { guid: 22, ends: [1, 4] },
    ],
  });
  it("puts the switch and all its links in one segment, one /24", () => {
    expect(plan.segments).toEqual([{ id: 0, subnet: "10.100.0.0/24", links: [20, 21, 22], switches: [1], hosts: [2, 3, 4] }]);
    expect(plan.switches[1]).toEqual({ guid: 1, label: "sw", machine: "local", namespace: "nepi-s-s1", bridge: "br0" });
    expect(plan.links[21]!.ends).toEqual([
      { guid: 1, kind: "switch", machine: "local", namespace: "nepi-s-s1", dev: "p21", bridge: "br0" },
      { guid: 3, kind: "host", machine: "local", namespace: "nepi-s-h3", dev: "eth0", address: "10.100.0.2/24" },
    ]);
    expect([2, 3, 4].map((h) => plan.hosts[h]!.addresses[0]!.cidr)).toEqual(["10.100.0.1/24", "10.100.0.2/24", "10.100.0.3/24"]);
    expect(addressOf(plan, 2)).toBe("10.100.0.1");
  });
  it("a switch–switch link joins both switches' segments", () => {
    const p = planTopology({
      tag: "s",
      endpoints: [sw(1, "s1"), sw(2, "s2"), host(3, "a"), host(4, "b")],
      links: [
        { guid: 30, ends: [3, 1] },
        { guid: 31, ends: [1, 2] },
        { guid: 32, ends: [2, 4] },
      ],
    });
    expect(p.segments).toEqual([{ id: 0, subnet: "10.100.0.0/24", links: [30, 31, 32], switches: [1, 2], hosts: [3, 4] }]);
    expect(p.links[31]!.ends.map((e) => `${e.namespace}:${e.dev}`)).toEqual(["nepi-s-s1:p31", "nepi-s-s2:p31"]);
  });
  it("a switch with 1,000 hosts gets a /22", () => {
    const n = 1000;
    const p = planTopology({
      tag: "big",
      endpoints: [sw(1, "sw"), ...Array.from({ length: n }, (_, i) => host(2 + i, `h${i}`))],
      links: Array.from({ length: n }, (_, i) => ({ guid: 5000 + i, ends: [1, 2 + i] as [number, number] })),
    });
    expect(p.segments[0]!.subnet).toBe("10.100.0.0/22");
    expect(p.hosts[1001]!.addresses[0]!.cidr).toBe("10.100.3.232/22");
  });
});

describe("planning a 3-hop chain", () => {
  const plan = planTopology(CHAIN);
  it("numbers each host's links eth0, eth1 in link order, one /30 per link", () => {
    expect(plan.hosts[2]!.addresses.map((a) => `${a.dev} ${a.cidr}`)).toEqual(["eth0 10.100.0.2/30", "eth1 10.100.0.5/30"]);
    expect(plan.segments.map((s) => s.subnet)).toEqual(["10.100.0.0/30", "10.100.0.4/30", "10.100.0.8/30"]);
  });
  it("routes along the chain through the forwarding hosts", () => {
    expect(plan.hosts[1]!.routes).toEqual([
      { to: "10.100.0.4/30", via: "10.100.0.2", dev: "eth0" },
      { to: "10.100.0.8/30", via: "10.100.0.2", dev: "eth0" },
    ]);
    expect(plan.hosts[2]!.routes).toEqual([{ to: "10.100.0.8/30", via: "10.100.0.6", dev: "eth1" }]);
    expect(plan.hosts[3]!.routes).toEqual([{ to: "10.100.0.0/30", via: "10.100.0.5", dev: "eth0" }]);
    expect(plan.hosts[4]!.routes).toEqual([
      { to: "10.100.0.0/30", via: "10.100.0.9", dev: "eth0" },
      { to: "10.100.0.4/30", via: "10.100.0.9", dev: "eth0" },
    ]);
  });
  it("does not route through a host that does not forward", () => {
    const p = planTopology({ ...CHAIN, endpoints: [host(1, "h1"), host(2, "r1", true), host(3, "r2", false), host(4, "h2")] });
    expect(p.hosts[1]!.routes).toEqual([{ to: "10.100.0.4/30", via: "10.100.0.2", dev: "eth0" }]);
    expect(p.hosts[4]!.routes).toEqual([]);
  });
  it("takes the shortest path when there are two", () => {
    // A ring h1 — r1 — r2 — h2 — r3 — h1: h1 reaches r2–h2 via r1, h2–r3 via r3.
    const p = planTopology({
      tag: "ring",
      endpoints: [host(1, "h1"), host(2, "r1", true), host(3, "r2", true), host(4, "h2"), host(5, "r3", true)],
      links: [
        { guid: 10, ends: [1, 2] },
        { guid: 11, ends: [2, 3] },
        { guid: 12, ends: [3, 4] },
        { guid: 13, ends: [4, 5] },
        { guid: 14, ends: [5, 1] },
      ],
    });
    const seg = (l: number) => p.segments[p.links[l]!.segment]!.subnet;
    const r1 = addressOf(p, 2, 1);
    const r3 = addressOf(p, 5, 1);
    expect(p.hosts[1]!.routes).toEqual([
      { to: seg(11), via: r1, dev: "eth0" },
      { to: seg(12), via: r1, dev: "eth0" },
      { to: seg(13), via: r3, dev: "eth1" },
    ]);
  });
});

describe("explicit subnets", () => {
  it("are used as given, and allocation avoids them", () => {
    const p = planTopology({ ...CHAIN, links: [{ guid: 10, ends: [1, 2], subnet: "10.100.0.0/29" }, ...CHAIN.links.slice(1)] });
    expect(p.segments.map((s) => s.subnet)).toEqual(["10.100.0.0/29", "10.100.0.8/30", "10.100.0.12/30"]);
  });
  it("one subnet on a switch's link is the whole segment's", () => {
    const p = planTopology({
      tag: "s",
      endpoints: [sw(1, "sw"), host(2, "a"), host(3, "b")],
      links: [
        { guid: 20, ends: [1, 2] },
        { guid: 21, ends: [1, 3], subnet: "192.168.7.0/24" },
      ],
    });
    expect(p.hosts[2]!.addresses[0]!.cidr).toBe("192.168.7.1/24");
  });
  it("a malformed one is refused, naming the link and the field", () => {
    for (const subnet of ["10.0.0/24", "10.0.0.0/33", "banana", "10.0.0.1/24"])
      expect(
        () => planTopology({ ...CHAIN, links: [{ guid: 10, label: "wan", ends: [1, 2], subnet }, ...CHAIN.links.slice(1)] }),
        subnet,
      ).toThrow(
        expect.objectContaining({
          code: "BAD_VALUE",
          path: "resources[guid=10].attributes.subnet",
          message: expect.stringContaining("netns::Link 10 (wan)"),
        }),
      );
    expect(() =>
      planTopology({ ...CHAIN, links: [{ guid: 10, ends: [1, 2], subnet: "10.0.0.1/24" }, ...CHAIN.links.slice(1)] }),
    ).toThrow(/did you mean 10\.0\.0\.0\/24/);
  });
  it("one too small for its hosts is refused", () => {
    expect(() =>
      planTopology({
        tag: "s",
        endpoints: [sw(1, "sw"), host(2, "a"), host(3, "b"), host(4, "c")],
        links: [
          { guid: 20, ends: [1, 2], subnet: "10.0.0.0/30" },
          { guid: 21, ends: [1, 3] },
          { guid: 22, ends: [1, 4] },
        ],
      }),
    ).toThrow(
      expect.objectContaining({
        path: "resources[guid=20].attributes.subnet",
        message: expect.stringContaining("room for 2 hosts, its segment has 3"),
      }),
    );
  });
  it("overlapping ones are refused, naming both links", () => {
    expect(() =>
      planTopology({
        ...CHAIN,
        links: [
          { guid: 10, ends: [1, 2], subnet: "10.0.0.0/24" },
          { guid: 11, ends: [2, 3], subnet: "10.0.0.128/25" },
          CHAIN.links[2]!,
        ],
      }),
    ).toThrow(
      expect.objectContaining({
        path: "resources[guid=11].attributes.subnet",
        message: expect.stringContaining("overlaps 10.0.0.0/24 of netns::Link 10"),
      }),
    );
  });
  it("two different ones on one switch are refused", () => {
    expect(() =>
      planTopology({
        tag: "s",
        endpoints: [sw(1, "sw"), host(2, "a"), host(3, "b")],
        links: [
          { guid: 20, ends: [1, 2], subnet: "10.0.1.0/24" },
          { guid: 21, ends: [1, 3], subnet: "10.0.2.0/24" },
        ],
      }),
    ).toThrow(expect.objectContaining({ path: "resources[guid=21].attributes.subnet" }));
  });
  it("a full pool is an error, not an overlap", () => {
    expect(() => planTopology({ ...CHAIN, pool: "10.9.0.0/29" })).toThrow(/pool 10\.9\.0\.0\/29 has no free \/30/);
  });
});

describe("connections the planner refuses", () => {
  it("a link to an unknown endpoint, or to itself, or a host twice on one segment", () => {
    expect(() => planTopology({ tag: "x", endpoints: [host(1, "a")], links: [{ guid: 9, ends: [1, 7] }] })).toThrow(
      expect.objectContaining({ code: "BAD_CONNECTION", path: "resources[guid=9].connections" }),
    );
    expect(() => planTopology({ tag: "x", endpoints: [host(1, "a")], links: [{ guid: 9, ends: [1, 1] }] })).toThrow(
      /joins 1 to itself/,
    );
    expect(() =>
      planTopology({
        tag: "x",
        endpoints: [sw(1, "sw"), host(2, "a")],
        links: [
          { guid: 9, ends: [1, 2] },
          { guid: 10, ends: [2, 1] },
        ],
      }),
    ).toThrow(
      expect.objectContaining({
        path: "resources[guid=10].connections",
        message: expect.stringContaining("already on (by link 9)"),
      }),
    );
  });
  it("a bad run tag", () => {
    expect(() => planTopology({ tag: "Run-1", endpoints: [], links: [] })).toThrow(expect.objectContaining({ path: "tag" }));
  });
});

describe("links across machines", () => {
  const input: TopologyInput = {
    tag: "x",
    endpoints: [host(1, "a", false, "local"), host(2, "b", false, "7")],
    links: [{ guid: 3, ends: [1, 2] }],
    underlay: { local: "10.200.0.1", "7": "10.200.0.2" },
  };
  it("are VXLAN tunnels over the machines' addresses, with a VNI per link", () => {
    const p = planTopology(input);
    expect(p.links[3]!.kind).toBe("vxlan");
    expect(p.links[3]!.vxlan).toEqual({ vni: expect.any(Number), port: 4789, underlay: ["10.200.0.1", "10.200.0.2"] });
    const vni = p.links[3]!.vxlan!.vni;
    expect(vni).toBeGreaterThan(0);
    expect(vni).toBeLessThan(2 ** 24);
    // Another run's tag gives another VNI: two runs between the same machines do not mix.
    expect(planTopology({ ...input, tag: "y" }).links[3]!.vxlan!.vni).not.toBe(vni);
  });
  it("need both machines' addresses", () => {
    expect(() => planTopology({ ...input, underlay: { local: "10.200.0.1" } })).toThrow(
      expect.objectContaining({ code: "BAD_CONNECTION", message: expect.stringContaining("address of machine 7 is not known") }),
    );
  });
});

describe("names with 1,000 hosts", () => {
  it("every device name fits 15 characters and is unique in its namespace", () => {
    const n = 1000;
    // A line of 1,000 routers, plus a switch with all of them on it.
    const endpoints = [sw(100000, "sw"), ...Array.from({ length: n }, (_, i) => host(1 + i, `h${i}`, true))];
    const links = [
      ...Array.from({ length: n - 1 }, (_, i) => ({ guid: 2_000_000 + i, ends: [1 + i, 2 + i] as [number, number] })),
      ...Array.from({ length: n }, (_, i) => ({ guid: 99_000_000_000 + i, ends: [100000, 1 + i] as [number, number] })),
    ];
    const p = planTopology({ tag: "abcdefghijkl", endpoints, links });
    const perNamespace = new Map<string, Set<string>>();
    for (const l of Object.values(p.links))
      for (const e of l.ends) {
        expect(e.dev.length).toBeLessThanOrEqual(15);
        const devs = perNamespace.get(e.namespace) ?? new Set();
        expect(devs.has(e.dev), `${e.dev} twice in ${e.namespace}`).toBe(false);
        perNamespace.set(e.namespace, devs.add(e.dev));
      }
    expect(perNamespace.get("nepi-abcdefghijkl-s100000")!.size).toBe(n);
    expect(p.hosts[500]!.addresses.map((a) => a.dev)).toEqual(["eth0", "eth1", "eth2"]);
  });
});

describe("${ip:LABEL}", () => {
  const plan = planTopology(CHAIN);
  const labels = new Map([
    ["h1", 1],
    ["r1", 2],
    ["r2", 3],
    ["h2", 4],
  ]);
  it("is the labelled host's address on the segment it shares with the resource's own host", () => {
    expect(resolveIpPlaceholders("ping -c 3 ${ip:r1}", 1, plan, labels)).toBe("ping -c 3 10.100.0.2");
    expect(resolveIpPlaceholders("ping -c 3 ${ip:r1}", 3, plan, labels)).toBe("ping -c 3 10.100.0.5");
  });
  it("else its first address", () => {
    expect(resolveIpPlaceholders("${ip:h2} and ${ip:r2}", 1, plan, { h2: 4, r2: 3 })).toBe("10.100.0.10 and 10.100.0.6");
    expect(resolveIpPlaceholders("${ip:h2}", undefined, plan, labels)).toBe("10.100.0.10");
  });
  it("leaves other text and placeholders alone", () => {
    expect(resolveIpPlaceholders("${APP_HOME}/x $ip:h1", 1, plan, labels)).toBe("${APP_HOME}/x $ip:h1");
  });
  it("an unknown label, or a host on no link, is an error naming the label", () => {
    expect(() => resolveIpPlaceholders("${ip:nobody}", 1, plan, labels)).toThrow(/no netns::Node is labelled "nobody"/);
    const lonely = planTopology({ tag: "x", endpoints: [host(1, "a")], links: [] });
    expect(() => resolveIpPlaceholders("${ip:a}", 1, lonely, { a: 1 })).toThrow(/a has no address/);
  });
});
