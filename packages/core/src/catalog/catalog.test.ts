import { describe, expect, it } from "vitest";
import { ResourceTypeInfoSchema, type ResourceTypeInfo } from "../model/catalog-schema.js";
import { findAttribute } from "./attributes.js";
import { linkProblem, missingLinks, type LinkView } from "./links.js";
import { chartOf, summaryAttributes, summaryOf } from "./look.js";
import { getResourceType, listResourceTypes } from "./registry.js";
import { endsByItself, valuesWithDefaults } from "./rules.js";

const types = listResourceTypes();

describe("resource type definitions", () => {
  it.each(types.map((t) => [t.rtype, t] as const))("%s is a valid, self-consistent definition", (_, t) => {
    expect(ResourceTypeInfoSchema.parse(t)).toEqual(t);
    for (const c of t.charts) expect(t.traces.map((x) => x.name)).toContain(c.trace);
    if (typeof t.finishes === "object") expect(findAttribute(t, t.finishes.whenSet)).toBeDefined();
    for (const name of summaryAttributes(t)) expect(findAttribute(t, name), `summary names "${name}"`).toBeDefined();
    // Every role a rule names is some type's role: a rule nobody can meet is a typo.
    for (const rule of t.connections)
      expect(
        types.some((o) => o.roles.includes(rule.role)),
        `role "${rule.role}"`,
      ).toBe(true);
  });

  it("gives each type its own abbreviation", () => {
    const abbreviations = types.map((t) => t.look.abbreviation);
    expect(new Set(abbreviations).size).toBe(abbreviations.length);
  });
});

describe("endsByItself", () => {
  const ends = (rtype: string, attributes: Record<string, string> = {}) => {
    const info = getResourceType(rtype);
    return endsByItself(info, valuesWithDefaults(info, attributes));
  };

  it("follows each type's `finishes`: always, never, or when an attribute is set", () => {
    expect(ends("linux::Application")).toBe(true);
    expect(ends("linux::Node")).toBe(false);
    expect(ends("linux::Tcpdump")).toBe(false);
    expect(ends("sim::Task", { duration: "1s" })).toBe(true);
    expect(ends("sim::Task")).toBe(false);
    expect(ends("sim::Task", { duration: "" })).toBe(false);
  });
});

describe("look", () => {
  it("builds the summary line from the attributes, with their defaults", () => {
    const ping = getResourceType("linux::Ping");
    expect(summaryOf(ping, valuesWithDefaults(ping, { target: "10.0.0.1" }))).toBe("ping 10.0.0.1");
    expect(summaryOf(ping, valuesWithDefaults(ping, {}))).toBeUndefined();
    const dump = getResourceType("linux::Tcpdump");
    expect(summaryOf(dump, valuesWithDefaults(dump, {}))).toBe("tcpdump -i any");
    expect(summaryOf(dump, valuesWithDefaults(dump, { filter: "icmp" }))).toBe("tcpdump -i any icmp");
  });

  it("says which trace feeds which chart", () => {
    expect(chartOf(getResourceType("linux::Ping"), "stdout")).toBe("ping");
    expect(chartOf(getResourceType("linux::Ping"), "stderr")).toBeUndefined();
    expect(chartOf(getResourceType("linux::Iperf3"), "stdout")).toBe("iperf3");
    expect(chartOf(getResourceType("linux::Application"), "stdout")).toBeUndefined();
  });
});

describe("connection checks", () => {
  /** A design of `kinds` (guid = index + 1) and the links made so far. */
  function view(kinds: string[], links: Array<[number, number]> = []): LinkView & { link(a: number, b: number): void } {
    const linked = new Map<number, number[]>();
    const link = (a: number, b: number) => {
      linked.set(a, [...(linked.get(a) ?? []), b]);
      linked.set(b, [...(linked.get(b) ?? []), a]);
    };
    for (const [a, b] of links) link(a, b);
    const info = (g: number): ResourceTypeInfo | undefined => (kinds[g - 1] ? getResourceType(kinds[g - 1]!) : undefined);
    return { info, connections: (g) => linked.get(g) ?? [], name: (g) => `#${g}`, link };
  }

  it("links by role: what runs on a host links to any host-role type, never to a non-host", () => {
    const v = view(["linux::Node", "linux::Ping", "linux::Application"]);
    expect(linkProblem(v, 2, 1)).toBeUndefined();
    expect(linkProblem(v, 1, 2)).toBeUndefined();
    expect(linkProblem(v, 2, 3)).toEqual({
      code: "NO_RULE",
      message:
        "#2 cannot connect to #3: linux::Ping connects to host (exactly 1); linux::Application connects to host (exactly 1)",
    });
    expect(linkProblem(v, 1, 1)?.code).toBe("SELF");
  });

  it("counts against each side's maximum, and lists what is missing against the minimum", () => {
    const v = view(
      ["linux::Node", "linux::Node", "linux::Iperf3", "linux::Iperf3", "linux::Iperf3"],
      [
        [3, 1],
        [3, 4],
      ],
    );
    expect(linkProblem(v, 3, 2)).toEqual({ code: "TOO_MANY", message: "#3 connects to exactly 1 host and already has 1" });
    expect(linkProblem(v, 5, 3)).toEqual({ code: "TOO_MANY", message: "#3 connects to at most 1 iperf3 peer and already has 1" });
    expect(linkProblem(v, 3, 4)?.code).toBe("DUPLICATE");
    expect(missingLinks(v, 3)).toEqual([]);
    expect(missingLinks(v, 4)).toEqual(["#4 needs a host connection (has 0)"]);
    expect(missingLinks(v, 1)).toEqual([]);
  });

  it("links tasks freely, with no maximum", () => {
    const v = view(["sim::Task", "sim::Task", "sim::Task"], [[1, 2]]);
    expect(linkProblem(v, 1, 3)).toBeUndefined();
    expect(linkProblem(v, 99, 1)?.code).toBe("UNKNOWN_TYPE");
  });
});
