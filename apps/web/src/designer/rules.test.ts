import { describe, expect, it } from "vitest";
import { listResourceTypes, type ResourceTypeInfo } from "@nepi/core";
import { checkConditionEdge, checkConnection, type RuleResource } from "./rules";

const catalog = Object.fromEntries(listResourceTypes().map((t) => [t.rtype, t]));
const resources = new Map<number, RuleResource>(
  [
    [1, "linux::Node"],
    [2, "linux::Node"],
    [3, "linux::Iperf3"],
    [4, "linux::Iperf3"],
    [5, "linux::Iperf3"],
    [6, "sim::Task"],
    [7, "sim::Task"],
    [8, "linux::Ping"],
  ].map(([guid, rtype]) => [guid as number, { guid: guid as number, rtype: rtype as string, label: `r${guid}` }]),
);

describe("checkConnection", () => {
  it("follows a rule declared on either side", () => {
    expect(checkConnection(catalog, resources, [], 8, 1)).toEqual({ ok: true });
    expect(checkConnection(catalog, resources, [], 1, 8)).toEqual({ ok: true });
  });

  it("names both types and what each connects to when no rule links them", () => {
    const r = checkConnection(catalog, resources, [], 6, 1);
    expect(r).toEqual({
      ok: false,
      reason: "r6 (#6) cannot connect to r1 (#1): sim::Task connects to task (any number); linux::Node connects to nothing",
    });
  });

  it("says once what a type connects to when both ends are of that type", () => {
    const apps = new Map<number, RuleResource>([
      [1, { guid: 1, rtype: "linux::Application", label: "" }],
      [2, { guid: 2, rtype: "linux::Application", label: "" }],
    ]);
    expect(checkConnection(catalog, apps, [], 1, 2)).toEqual({
      ok: false,
      reason: "#1 cannot connect to #2: linux::Application connects to host (exactly 1)",
    });
  });

  it("checks the maximum of each side: an iperf3 pairs with at most one other iperf3", () => {
    const links = [{ source: 3, target: 4 }];
    const r = checkConnection(catalog, resources, links, 5, 3);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toBe("r3 (#3) connects to at most 1 iperf3 peer and already has 1");
    // A ping already on a node cannot take a second one, whichever way it is drawn.
    const onNode = [{ source: 8, target: 1 }];
    expect(checkConnection(catalog, resources, onNode, 2, 8).ok).toBe(false);
  });

  it("goes by roles, not type names: a type the designer never heard of that has the host role takes a ping", () => {
    const netns: ResourceTypeInfo = {
      ...catalog["linux::Node"]!,
      rtype: "test::Namespace",
      look: { abbreviation: "NS", group: "test", color: "#ccc" },
    };
    const withHost = new Map(resources).set(11, { guid: 11, rtype: "test::Namespace", label: "ns" });
    expect(checkConnection({ ...catalog, [netns.rtype]: netns }, withHost, [], 8, 11)).toEqual({ ok: true });
    expect(checkConnection({ ...catalog, [netns.rtype]: { ...netns, roles: [] } }, withHost, [], 8, 11).ok).toBe(false);
  });

  it("leaves unbounded rules open", () => {
    const links = [{ source: 6, target: 7 }];
    resources.set(9, { guid: 9, rtype: "sim::Task", label: "" });
    expect(checkConnection(catalog, resources, links, 6, 9)).toEqual({ ok: true });
  });

  it("refuses unknown guids and unknown types", () => {
    expect(checkConnection(catalog, resources, [], 1, 99)).toEqual({ ok: false, reason: "unknown resource #99" });
    const withUnknown = new Map(resources).set(10, { guid: 10, rtype: "x::Y", label: "" });
    expect(checkConnection(catalog, withUnknown, [], 10, 1)).toEqual({ ok: false, reason: "#10 has an unknown resource type" });
  });
});

describe("checkConditionEdge", () => {
  it("refuses a resource waiting on itself, accepts any other pair", () => {
    expect(checkConditionEdge(resources, 6, 6)).toEqual({ ok: false, reason: "a resource cannot wait on itself" });
    expect(checkConditionEdge(resources, 6, 7)).toEqual({ ok: true });
    expect(checkConditionEdge(resources, 6, 42).ok).toBe(false);
  });
});
