import { describe, expect, it } from "vitest";
import { renderToStaticMarkup } from "react-dom/server";
import { defineResourceType, type HostExecResult, type ResourceTypeInfo } from "@nepi/core";
import { createDesignerStore } from "../designer/store";
import { HostResults } from "./RunOnHosts";
import { answerSummary, hasHost, hostsOfDesign, initialChoice, outcome, runBlocker } from "./run-on-hosts";

/** A host type the web app has never heard of: it is a host by its role alone. */
const NAMESPACE: ResourceTypeInfo = {
  rtype: "test::ExecNamespace",
  backend: "test",
  help: "a network namespace",
  attributes: [],
  traces: [],
  roles: ["host"],
  connections: [],
  finishes: "never",
  look: { abbreviation: "EN", group: "network", summary: "", color: "#fcd34d" },
  charts: [],
  platform: "node",
};
defineResourceType(NAMESPACE);

function design() {
  const store = createDesignerStore();
  store.getState().setCatalog([...Object.values(store.getState().catalog), NAMESPACE]);
  store.getState().loadDocument({
    format: "nepi-experiment@1",
    name: "hosts",
    resources: [
      { guid: 1, type: "linux::Node", label: "h1", attributes: { hostname: "localhost" }, traces: [] },
      { guid: 2, type: "linux::Ping", label: "ping", attributes: { target: "10.0.0.1" }, traces: [] },
      { guid: 3, type: "test::ExecNamespace", label: "", attributes: {}, traces: [] },
    ],
    connections: [{ source: 2, target: 1 }],
    conditions: [],
  });
  return store;
}

const result = (over: Partial<HostExecResult>): HostExecResult => ({
  guid: 1,
  label: "h1",
  address: "local",
  ok: true,
  code: 0,
  stdout: "",
  stderr: "",
  durationMs: 12.3,
  ...over,
});

describe("the Run on hosts panel", () => {
  it("lists the design's hosts by role, a host with no label by its guid", () => {
    const store = design();
    expect(hostsOfDesign(store).map((h) => [h.guid, h.label])).toEqual([
      [1, "h1"],
      [3, "guid 3"],
    ]);
    expect(hasHost(store.getState().nodes, store.getState().catalog)).toBe(true);
    const noHost = store.getState().nodes.filter((n) => n.data.guid === 2);
    expect(hasHost(noHost, store.getState().catalog)).toBe(false);
  });

  it("ticks the selected hosts, or all of them when no host is selected", () => {
    const hosts = hostsOfDesign(design());
    expect(initialChoice(hosts, [])).toEqual([1, 3]);
    expect(initialChoice(hosts, [2])).toEqual([1, 3]);
    expect(initialChoice(hosts, [3, 2])).toEqual([3]);
  });

  it("says why Run cannot be pressed", () => {
    const ok = { readOnly: false, chosen: 1, command: "uname", running: false };
    expect(runBlocker(ok)).toBeNull();
    expect(runBlocker({ ...ok, chosen: 0 })).toBe("Tick at least one host.");
    expect(runBlocker({ ...ok, command: "  " })).toBe("Type a command first.");
    expect(runBlocker({ ...ok, running: true })).toBe("The command is running on the hosts.");
    expect(runBlocker({ ...ok, readOnly: true })).toMatch(/past run/);
  });

  it("shows each host's answer under its label: exit code or error, stdout, stderr", () => {
    const results = [
      result({ stdout: "Linux\n" }),
      result({ guid: 3, label: "far", address: "me@10.0.0.9:22", ok: false, code: 2, stderr: "no such file\n" }),
      result({
        guid: 4,
        label: "gone",
        address: "me@10.0.0.8:22",
        ok: false,
        code: null,
        error: "cannot connect after 1 attempt(s): connect ECONNREFUSED",
      }),
    ];
    expect(answerSummary(results)).toBe("1 of 3 hosts ok");
    expect(outcome(results[2]!)).toBe("cannot connect after 1 attempt(s): connect ECONNREFUSED");
    expect(outcome(result({ ok: false, code: 124, error: "timed out after 2 s" }))).toBe("exit 124: timed out after 2 s");
    const html = renderToStaticMarkup(<HostResults results={results} />);
    expect(html).toContain("1 of 3 hosts ok");
    const article = (label: string) =>
      new RegExp(`<article[^>]*data-label="${label}"[^>]*>(.*?)</article>`, "s").exec(html)?.[1] ?? "";
    expect(article("h1")).toMatch(/data-testid="exec-outcome"[^>]*>exit 0</);
    expect(article("h1")).toMatch(/data-testid="exec-stdout"[^>]*>Linux\n</);
    expect(article("h1")).not.toContain("exec-stderr");
    expect(article("far")).toMatch(/exit 2</);
    expect(article("far")).toMatch(/data-testid="exec-stderr"[^>]*>no such file\n</);
    expect(article("gone")).toContain("ECONNREFUSED");
    expect(html).toMatch(/data-label="far" data-ok="false"/);
  });
});
