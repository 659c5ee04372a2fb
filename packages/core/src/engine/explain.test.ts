import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ExperimentController, GateEventSchema, WaitReasonSchema, type GateEvent, type WaitReason } from "../index.js";
import { defineResourceType, registerResourceManager } from "../catalog/registry.js";
import { CRITICAL_ATTRIBUTE } from "../catalog/common.js";

let t0 = 0;
beforeEach(() => {
  vi.useFakeTimers();
  t0 = Date.now();
});
afterEach(() => {
  vi.useRealTimers();
});

/** What `guid` waits on, checked against the browser-safe schema. */
function waits(ec: ExperimentController, guid: number): WaitReason[] {
  const reasons = ec.waitingOn(guid);
  for (const r of reasons) WaitReasonSchema.parse(r);
  return reasons;
}
const texts = (ec: ExperimentController, guid: number) => waits(ec, guid).map((r) => r.text);

describe("waitingOn: conditions", () => {
  it("names the condition, who is not there yet, then the delay left; the gate event carries the countdown", async () => {
    const ec = new ExperimentController();
    const c = ec.registerResource("sim::Task", { duration: "1s" });
    const a = ec.registerResource("sim::Task", { duration: "5s" });
    const b = ec.registerResource("sim::Task", { duration: "1s" });
    ec.registerCondition(a, "START", c, "FINISHED");
    ec.registerCondition(b, "START", a, "STARTED", "2s");
    const gates: GateEvent[] = [];
    ec.on("gate", (e) => gates.push(GateEventSchema.parse(e)));
    ec.deploy();
    await vi.advanceTimersByTimeAsync(500);
    expect(ec.state(b)).toBe("READY");
    expect(waits(ec, b)).toEqual([
      {
        kind: "condition",
        action: "START",
        after: [a],
        state: "STARTED",
        delayMs: 2000,
        condition: 1,
        remaining: [{ guid: a, state: "READY" }],
        text: `START after guid ${a} STARTED + 2s: guid ${a} is READY`,
      },
    ]);
    expect(texts(ec, a)).toEqual([`START after guid ${c} FINISHED: guid ${c} is STARTED`]);
    await vi.advanceTimersByTimeAsync(1000); // c finished at 1000, a started then: b's delay runs until 3000
    const [counting] = waits(ec, b);
    expect(counting).toMatchObject({ kind: "condition", remaining: [], firesAt: t0 + 3000 });
    expect(counting!.text).toBe(`START after guid ${a} STARTED + 2s: 1.5s left`);
    await vi.advanceTimersByTimeAsync(2000);
    expect(ec.state(b)).toBe("STARTED");
    expect(waits(ec, b)).toEqual([{ kind: "running", endsByItself: true, text: "running until it ends by itself" }]);
    // Zero-delay conditions open without arming; the delayed one arms with its end, then opens.
    expect(gates.map((g) => [g.condition, g.status, g.at - t0, g.firesAt && g.firesAt - t0])).toEqual([
      [0, "opened", 1000, undefined],
      [1, "armed", 1000, 3000],
      [1, "opened", 3000, undefined],
    ]);
    expect(gates[1]).toMatchObject({ action: "START", subjects: [b], after: [a], state: "STARTED", delayMs: 2000 });
  });

  it("says a resource that never ends by itself runs until stopped, and names a STOP condition", async () => {
    const ec = new ExperimentController();
    const server = ec.registerResource("sim::Task", {});
    const idle = ec.registerResource("sim::Task", {});
    const client = ec.registerResource("sim::Task", { duration: "1s" });
    ec.registerCondition(server, "STOP", client, "FINISHED");
    ec.deploy();
    await vi.advanceTimersByTimeAsync(100);
    expect(texts(ec, idle)).toEqual(["running until stopped or released"]);
    expect(texts(ec, server)).toEqual([`STOP after guid ${client} FINISHED: guid ${client} is STARTED`]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(ec.state(server)).toBe("STOPPED");
    expect(waits(ec, server)).toEqual([]);
    await ec.shutdown();
  });
});

describe("waitingOn: the engine's own waits", () => {
  it("names the start-together barrier and a deploy in progress", async () => {
    const ec = new ExperimentController();
    const slow = ec.registerResource("sim::Task", { deployTime: "1s", duration: "1s" });
    const fast = ec.registerResource("sim::Task", { duration: "1s" });
    ec.deploy();
    await vi.advanceTimersByTimeAsync(200);
    expect(texts(ec, slow)).toEqual(["deploy in progress"]);
    expect(waits(ec, fast)).toEqual([
      {
        kind: "startTogether",
        action: "START",
        after: [slow, fast],
        state: "READY",
        delayMs: 0,
        remaining: [{ guid: slow, state: "NEW" }],
        text: `START together with guids ${slow}, ${fast}: guid ${slow} is NEW`,
      },
    ]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(ec.state(fast)).toBe("FINISHED");
  });

  it("names a step waiting for a pool slot, with how many are busy", async () => {
    const ec = new ExperimentController({ maxConcurrency: 1 });
    const first = ec.registerResource("sim::Task", { deployTime: "1s", duration: "1s" });
    const second = ec.registerResource("sim::Task", { deployTime: "1s", duration: "1s" });
    ec.deploy();
    await vi.advanceTimersByTimeAsync(200);
    expect(texts(ec, first)).toEqual(["deploy in progress"]);
    expect(waits(ec, second)).toEqual([
      { kind: "pool", operation: "deploy", busy: 1, queued: 1, text: "deploy: waiting for a pool slot (1 busy)" },
    ]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(texts(ec, second)).toEqual(["deploy in progress"]);
    await vi.advanceTimersByTimeAsync(3000);
    expect(ec.state(second)).toBe("FINISHED");
  });

  it("names the deploy order on the host: an application waits for its host to be READY", async () => {
    let hostUp: () => void = () => {};
    defineResourceType({
      rtype: "test::ExplainHost",
      backend: "test",
      help: "a host that is up when the test says",
      attributes: [CRITICAL_ATTRIBUTE],
      traces: [],
      roles: ["host"],
      connections: [],
      finishes: "never",
      platform: "any",
      look: { abbreviation: "EH", group: "test", color: "#ccc" },
      charts: [],
    });
    defineResourceType({
      rtype: "test::ExplainApp",
      backend: "test",
      help: "runs on a host",
      attributes: [CRITICAL_ATTRIBUTE],
      traces: [],
      roles: [],
      connections: [{ role: "host", min: 1, max: 1, deployAfter: "READY", help: "its host" }],
      finishes: "always",
      platform: "any",
      look: { abbreviation: "EA", group: "test", color: "#ccc" },
      charts: [],
    });
    registerResourceManager("test::ExplainHost", () => ({ discover: () => new Promise<void>((resolve) => (hostUp = resolve)) }));
    registerResourceManager("test::ExplainApp", () => ({}));
    const ec = new ExperimentController();
    const host = ec.registerResource("test::ExplainHost");
    const app = ec.registerResource("test::ExplainApp");
    ec.registerConnection(host, app);
    ec.deploy();
    await vi.advanceTimersByTimeAsync(0);
    expect(waits(ec, app)).toEqual([
      {
        kind: "deployOrder",
        action: "DEPLOY",
        after: [host],
        state: "READY",
        delayMs: 0,
        remaining: [{ guid: host, state: "NEW" }],
        text: `DEPLOY after guid ${host} READY: guid ${host} is NEW`,
      },
    ]);
    hostUp();
    await ec.waitStarted(app);
    await ec.shutdown();
  });
});

describe("a wait that times out", () => {
  it("says what each resource not there yet waits for", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { duration: "10s" });
    const b = ec.registerResource("sim::Task", { duration: "1s" });
    ec.registerCondition(b, "START", a, "FINISHED", "2s");
    ec.deploy();
    const wait = expect(ec.waitStarted(b, { timeout: "1s" })).rejects.toThrow(
      `wait for STARTED timed out after 1s: guid ${b} (sim::Task) is READY (START after guid ${a} FINISHED + 2s: guid ${a} is STARTED)`,
    );
    await vi.advanceTimersByTimeAsync(1000);
    await wait;
    await ec.shutdown();
  });
});

describe("a wait on what no deploy took in", () => {
  it("fails at once, naming the resource left out of the deploy", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { duration: "1s" });
    const b = ec.registerResource("sim::Task", { duration: "1s" });
    ec.registerCondition(a, "START", b, "STARTED");
    ec.deploy([a]);
    await expect(ec.waitStarted(a)).rejects.toThrow(`cannot START: it waits on guid ${b}, which is not part of this deploy`);
    expect(
      ec
        .timeline()
        .filter((e) => e.guid === a)
        .map((e) => [e.state, e.at - t0]),
    ).toEqual([["FAILED", 0]]);
    expect(ec.failure(a)).toBe(`cannot START: it waits on guid ${b}, which is not part of this deploy`);
    expect(ec.timeline().some((e) => e.guid === b && e.state === "DISCOVERED")).toBe(false);
  });

  it("does not fail when what it waits on is deployed by the caller's next line", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { duration: "1s" });
    const b = ec.registerResource("sim::Task", { duration: "1s" });
    ec.registerCondition(a, "START", b, "STARTED", "1s");
    ec.deploy([a]);
    ec.deploy([b]);
    const done = ec.waitFinished([a, b]);
    await vi.advanceTimersByTimeAsync(5000);
    await done;
  });

  it("shows a condition added to a running resource on one not deployed yet as outside, until it is", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { duration: "1s" });
    const gate = ec.registerResource("sim::Task", { duration: "10s" });
    ec.registerCondition(a, "START", gate, "FINISHED");
    ec.deploy();
    await vi.advanceTimersByTimeAsync(10);
    const late = ec.registerResource("sim::Task", { duration: "1s" });
    ec.registerCondition(a, "START", late, "FINISHED");
    expect(waits(ec, a)).toEqual([
      { kind: "outside", guids: [late], text: `waits on guid ${late}, which is not part of this deploy` },
      expect.objectContaining({ kind: "condition", text: `START after guid ${gate} FINISHED: guid ${gate} is STARTED` }),
    ]);
    ec.deploy([late]);
    await vi.advanceTimersByTimeAsync(10);
    expect(texts(ec, a)).toEqual([
      `START after guid ${gate} FINISHED: guid ${gate} is STARTED`,
      `START after guid ${late} FINISHED: guid ${late} is STARTED`,
    ]);
    expect([...ec.waitingOnAll().keys()]).toEqual([a, gate, late]);
    await ec.shutdown();
  });
});
