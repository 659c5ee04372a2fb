import { describe, expect, it } from "vitest";
import { diffRuns, type RunManifest, type RunRecord, type StateEvent } from "./index.js";

function record(count: number, opts: { extra?: boolean; kernel?: string; finishedAt?: number | null } = {}): RunRecord {
  const manifest: RunManifest = {
    format: "nepi-manifest@1",
    nepiStudio: "0.1.0",
    expId: "e",
    runId: `r${count}`,
    document: {
      format: "nepi-experiment@1",
      name: "d",
      resources: [
        { guid: 1, type: "linux::Node", label: "box", attributes: { hostname: "localhost" }, traces: [] },
        { guid: 2, type: "linux::Ping", label: "pinger", attributes: { target: "x", count }, traces: [] },
        ...(opts.extra ? [{ guid: 3, type: "sim::Task", attributes: {}, traces: [] }] : []),
      ],
      connections: [{ source: 2, target: 1 }],
      conditions: [],
    },
    machines: [
      {
        guid: 1,
        label: "box",
        address: "local",
        uname: { value: opts.kernel ?? "Linux 6.1" },
        os: { value: "Debian 12" },
        cpus: { error: "nproc gave nothing" },
        tools: { "iputils-ping": { value: "3:2022" } },
      },
    ],
  };
  const ev = (guid: number, state: StateEvent["state"], at: number): StateEvent => ({ guid, state, previous: "NEW", at });
  const timeline = [ev(1, "DISCOVERED", 1000), ev(2, "STARTED", 1010)];
  if (opts.finishedAt !== null) timeline.push(ev(2, "FINISHED", 1000 + (opts.finishedAt ?? 100)));
  return { manifest, timeline };
}

describe("diffRuns", () => {
  it("finds nothing but times between two runs of the same design on the same machine", () => {
    const d = diffRuns(record(1), record(1, { finishedAt: 900 }));
    expect(d).toMatchObject({ same: true, attributes: [], facts: [] });
    expect(d.timing.find((t) => t.guid === 2 && t.state === "FINISHED")).toEqual({
      guid: 2,
      resource: "pinger (guid 2)",
      state: "FINISHED",
      a: 100,
      b: 900,
    });
  });

  it("names each changed attribute, resource on one side only, changed fact and state reached once", () => {
    const d = diffRuns(record(1), record(3, { extra: true, kernel: "Linux 6.18", finishedAt: null }));
    expect(d.same).toBe(false);
    expect(d.attributes).toEqual([
      { guid: 2, resource: "pinger (guid 2)", attribute: "count", a: 1, b: 3 },
      { guid: 3, resource: "guid 3", attribute: "(type)", b: "sim::Task" },
    ]);
    expect(d.facts).toEqual([{ machine: "box (guid 1)", fact: "kernel", a: "Linux 6.1", b: "Linux 6.18" }]);
    expect(d.timing.find((t) => t.state === "FINISHED")).toEqual({
      guid: 2,
      resource: "pinger (guid 2)",
      state: "FINISHED",
      a: 100,
    });
  });

  it("counts a state reached in one run only as a difference", () => {
    expect(diffRuns(record(1), record(1, { finishedAt: null })).same).toBe(false);
  });
});
