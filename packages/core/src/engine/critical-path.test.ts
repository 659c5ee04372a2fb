import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ExperimentController, criticalPath, ExperimentDocumentSchema, type CriticalLink, type StateEvent } from "../index.js";

let t0 = 0;
beforeEach(() => {
  vi.useFakeTimers();
  t0 = Date.now();
});
afterEach(() => {
  vi.useRealTimers();
});

/** The path as [kind, guid, what, from, to] relative to the start, and its costs add up to the run. */
function shape(links: CriticalLink[], start = t0): Array<[string, number, string, number, number]> {
  for (let i = 1; i < links.length; i++) expect(links[i]!.from).toBe(links[i - 1]!.to);
  return links.map((l) => [l.kind, l.guid, l.what, l.from - start, l.to - start]);
}

async function run(ec: ExperimentController, ms: number): Promise<void> {
  ec.deploy();
  await vi.advanceTimersByTimeAsync(ms);
}

describe("criticalPath", () => {
  it("follows the last resource to end back through its delayed condition to the deploy that held it", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { deployTime: "500ms", duration: "1s" });
    const b = ec.registerResource("sim::Task", { duration: "3s" });
    const c = ec.registerResource("sim::Task", { duration: "1s" });
    ec.registerCondition(b, "START", a, "STARTED", "2s");
    await run(ec, 10_000);
    const links = criticalPath(ec.timeline(), ec.toDocument(), { startedAt: t0 });
    expect(shape(links)).toEqual([
      ["action", a, "deploy", 0, 500],
      ["action", a, "start", 500, 500],
      ["wait", b, "START", 500, 2500],
      ["action", b, "start", 2500, 2500],
      ["action", b, "ran", 2500, 5500],
    ]);
    expect(links[2]).toMatchObject({
      on: { guid: a, state: "STARTED" },
      costMs: 2000,
      text: `START guid ${b} after guid ${a} STARTED + 2s`,
    });
    expect(links.reduce((sum, l) => sum + l.costMs, 0)).toBe(5500);
    expect(links.some((l) => l.guid === c)).toBe(false);
  });

  it("blames the start-together barrier on the member that was READY last", async () => {
    const ec = new ExperimentController();
    const slow = ec.registerResource("sim::Task", { deployTime: "1s", duration: "100ms" });
    const long = ec.registerResource("sim::Task", { duration: "2s" });
    await run(ec, 10_000);
    const links = criticalPath(ec.timeline(), ec.toDocument(), { startedAt: t0 });
    expect(shape(links)).toEqual([
      ["action", slow, "deploy", 0, 1000],
      ["wait", long, "START", 1000, 1000],
      ["action", long, "start", 1000, 1000],
      ["action", long, "ran", 1000, 3000],
    ]);
    expect(links[1]!.text).toBe(`START guid ${long} together with the others: guid ${slow} was READY last`);
  });

  it("follows a STOP condition and the deploy order on a host", () => {
    const doc = ExperimentDocumentSchema.parse({
      format: "nepi-experiment@1",
      name: "t",
      resources: [
        { guid: 1, type: "linux::Node", attributes: { hostname: "localhost" } },
        { guid: 2, type: "linux::Application", attributes: { command: "sleep 10" } },
        { guid: 3, type: "linux::Application", attributes: { command: "true" } },
      ],
      connections: [
        { source: 2, target: 1 },
        { source: 3, target: 1 },
      ],
      conditions: [{ group: [2], action: "STOP", after: [3], state: "FINISHED", delay: "1s" }],
    });
    const T = 1_000_000;
    const ev = (guid: number, state: StateEvent["state"], at: number): StateEvent => ({
      guid,
      state,
      previous: "NEW",
      at: T + at,
    });
    const timeline = [
      ev(1, "DISCOVERED", 300),
      ev(1, "PROVISIONED", 600),
      ev(1, "READY", 600),
      ev(2, "DISCOVERED", 700),
      ev(3, "DISCOVERED", 700),
      ev(2, "PROVISIONED", 800),
      ev(2, "READY", 800),
      ev(3, "PROVISIONED", 900),
      ev(3, "READY", 900),
      ev(1, "STARTED", 900),
      ev(2, "STARTED", 950),
      ev(3, "STARTED", 950),
      ev(3, "FINISHED", 2000),
      ev(2, "STOPPED", 3100),
      ev(2, "RELEASED", 3200),
      ev(3, "RELEASED", 3200),
      ev(1, "RELEASED", 3300),
    ];
    const links = criticalPath(timeline, doc, { startedAt: T });
    expect(shape(links, T)).toEqual([
      ["action", 1, "deploy", 0, 600],
      ["wait", 3, "DEPLOY", 600, 600],
      ["action", 3, "deploy", 600, 900],
      ["action", 3, "start", 900, 950],
      ["action", 3, "ran", 950, 2000],
      ["wait", 2, "STOP", 2000, 3000],
      ["action", 2, "stop", 3000, 3100],
    ]);
    expect(links[1]!.text).toBe("DEPLOY guid 3 after guid 1 READY (it runs there)");
    expect(links[5]!.text).toBe("STOP guid 2 after guid 3 FINISHED + 1s");
  });

  it("ends a failed run on the failure, and an empty timeline has no path", async () => {
    const ec = new ExperimentController();
    const ok = ec.registerResource("sim::Task", { duration: "100ms" });
    const bad = ec.registerResource("sim::Task", { failIn: "run", critical: false });
    ec.registerCondition(bad, "START", ok, "FINISHED", "1s");
    await run(ec, 5000);
    const links = criticalPath(ec.timeline(), ec.toDocument(), { startedAt: t0 });
    expect(shape(links)).toEqual([
      ["action", ok, "deploy", 0, 0],
      ["action", ok, "start", 0, 0],
      ["action", ok, "ran", 0, 100],
      ["wait", bad, "START", 100, 1100],
      ["action", bad, "start", 1100, 1100],
      ["action", bad, "ran until it failed", 1100, 1100],
    ]);
    expect(criticalPath([], ec.toDocument())).toEqual([]);
  });
});
