import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ExperimentController, type StateEvent } from "../index.js";
import { defineResourceType, registerResourceManager } from "../catalog/registry.js";
import { CRITICAL_ATTRIBUTE } from "../catalog/common.js";

let t0 = 0;
/** When `guid` reached `state`, relative to the start of the test (fake clock). */
function at(ec: ExperimentController, guid: number, state: string): number {
  const e = ec.timeline().find((x) => x.guid === guid && x.state === state);
  if (!e) throw new Error(`guid ${guid} never reached ${state}: ${JSON.stringify(ec.timeline().filter((x) => x.guid === guid))}`);
  return e.at - t0;
}
const states = (ec: ExperimentController, guid: number) =>
  ec
    .timeline()
    .filter((e) => e.guid === guid)
    .map((e) => e.state);

beforeEach(() => {
  vi.useFakeTimers();
  t0 = Date.now();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("conditions", () => {
  it("runs a chain of START conditions in order, each delay counted from the awaited state", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { duration: "1s" });
    const b = ec.registerResource("sim::Task", { duration: "1s" });
    const c = ec.registerResource("sim::Task", { duration: "500ms" });
    ec.registerCondition(b, "START", a, "STARTED", "2s");
    ec.registerCondition(c, "START", b, "FINISHED", "250ms");
    ec.deploy();
    const done = ec.waitFinished([a, b, c]);
    await vi.advanceTimersByTimeAsync(10_000);
    await done;
    expect(at(ec, a, "STARTED")).toBe(0);
    expect(at(ec, b, "STARTED")).toBe(2000);
    expect(at(ec, b, "FINISHED")).toBe(3000);
    expect(at(ec, c, "STARTED")).toBe(3250);
    expect(at(ec, c, "FINISHED")).toBe(3750);
    expect(states(ec, b)).toEqual(["DISCOVERED", "PROVISIONED", "READY", "STARTED", "FINISHED"]);
  });

  it("counts the delay from the moment the LAST awaited resource reached the state", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { duration: "1s" });
    const b = ec.registerResource("sim::Task", { duration: "3s" });
    const c = ec.registerResource("sim::Task", { duration: "1s" });
    ec.registerCondition(c, "START", [a, b], "FINISHED", "1s");
    ec.deploy();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(at(ec, c, "STARTED")).toBe(4000);
  });

  it("stops a resource under a STOP condition", async () => {
    const ec = new ExperimentController();
    const server = ec.registerResource("sim::Task", {}); // runs until stopped
    const client = ec.registerResource("sim::Task", { duration: "2s" });
    ec.registerCondition(server, "STOP", client, "FINISHED", "500ms");
    ec.deploy();
    await vi.advanceTimersByTimeAsync(5000);
    expect(ec.state(server)).toBe("STOPPED");
    expect(at(ec, server, "STOPPED")).toBe(2500);
    await expect(ec.waitFinished(server)).resolves.toBeUndefined();
  });

  it("waits for DEPLOY conditions before discovering", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { duration: "1s", deployTime: "300ms" });
    const b = ec.registerResource("sim::Task", { duration: "1s" });
    ec.registerCondition(b, "DEPLOY", a, "READY", "100ms");
    ec.deploy();
    await vi.advanceTimersByTimeAsync(5000);
    expect(at(ec, a, "READY")).toBe(300);
    expect(at(ec, b, "DISCOVERED")).toBe(400);
    expect(ec.state(b)).toBe("FINISHED");
  });

  it("starts resources with no conditions together, once all of the group are READY", async () => {
    const ec = new ExperimentController();
    const guids = [0, 150, 400, 90].map((ms) => ec.registerResource("sim::Task", { deployTime: `${ms}ms`, duration: "1s" }));
    ec.deploy();
    await vi.advanceTimersByTimeAsync(2000);
    const starts = guids.map((g) => at(ec, g, "STARTED"));
    expect(starts).toEqual([400, 400, 400, 400]);
    expect(Math.max(...guids.map((g) => at(ec, g, "READY")))).toBe(400);
  });

  it("sets an attribute under a condition (setWithConditions)", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { duration: "1s" });
    const b = ec.registerResource("sim::Task", {});
    ec.setWithConditions("duration", "2s", b, a, "STARTED", "500ms");
    ec.deploy();
    await vi.advanceTimersByTimeAsync(400);
    expect(ec.get(b, "duration")).toBeUndefined();
    await vi.advanceTimersByTimeAsync(200);
    expect(ec.get(b, "duration")).toBe("2s");
    expect(ec.toDocument().attributeConditions).toEqual([
      { group: [b], attribute: "duration", value: "2s", after: [a], state: "STARTED", delay: "500ms" },
    ]);
  });

  it("runs a chain of 20,000 zero-delay conditions without growing the stack", async () => {
    const ec = new ExperimentController();
    let prev = ec.registerResource("sim::Task", { duration: "0s" });
    for (let i = 0; i < 20_000; i++) {
      const g = ec.registerResource("sim::Task", { duration: "0s" });
      ec.registerCondition(g, "START", prev, "STARTED");
      prev = g;
    }
    ec.deploy();
    expect(ec.timeline()).toHaveLength(0); // deploy() only schedules
    await vi.advanceTimersByTimeAsync(0);
    expect(ec.state(prev)).toBe("FINISHED");
  });

  it("opens a zero-delay condition without a timer", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { duration: "1s" });
    const b = ec.registerResource("sim::Task", { duration: "0s" });
    ec.registerCondition(b, "START", a, "STARTED");
    ec.deploy();
    await vi.advanceTimersByTimeAsync(0);
    expect(ec.state(b)).toBe("FINISHED");
    expect(vi.getTimerCount()).toBe(1); // only a's own 1s run
  });
});

describe("failures", () => {
  for (const phase of ["deploy", "start", "run"] as const) {
    it(`a critical failure in ${phase} fails the experiment, rejects waits and releases everything`, async () => {
      const ec = new ExperimentController();
      const ok = ec.registerResource("sim::Task", {}); // would run forever
      const bad = ec.registerResource("sim::Task", { failIn: phase, duration: "1s" }, { label: "broken" });
      const later = ec.registerResource("sim::Task", { duration: "1s" });
      ec.registerCondition(later, "START", bad, "FINISHED");
      ec.deploy();
      const wait = ec.waitFinished([ok, bad, later]);
      const assertion = expect(wait).rejects.toThrow(/guid 2 \(broken\).*failIn=/);
      await vi.advanceTimersByTimeAsync(100);
      await assertion;
      expect(ec.ecState).toBe("FAILED");
      expect(ec.experimentFailure).toMatch(new RegExp(`guid 2 \\(broken\\) failed: .*failIn=${phase}`));
      expect(ec.state(bad)).toBe("FAILED");
      expect(ec.failure(bad)).toMatch(`failIn=${phase}`);
      await ec.waitReleased([ok, bad, later]);
      expect(ec.state(ok)).toBe("RELEASED");
      expect(ec.state(later)).toBe("RELEASED");
      expect(states(ec, later)).not.toContain("STARTED");
      expect(() => ec.deploy()).toThrow(/experiment has failed/);
    });
  }

  it("a non-critical failure fails its dependents at once, with the cause, and the rest finishes", async () => {
    const ec = new ExperimentController();
    const bad = ec.registerResource("sim::Task", { failIn: "run", duration: "1s", critical: false }, { label: "flaky" });
    const dependent = ec.registerResource("sim::Task", { duration: "1s", critical: false });
    const chained = ec.registerResource("sim::Task", { duration: "1s", critical: false });
    const independent = ec.registerResource("sim::Task", { duration: "1s" });
    ec.registerCondition(dependent, "START", bad, "FINISHED");
    ec.registerCondition(chained, "START", dependent, "STARTED");
    ec.deploy();
    const failedDependent = expect(ec.waitFinished(dependent)).rejects.toThrow(
      /guid 2 .*cannot START: it waits for START after guid 1 FINISHED, but guid 1 \(flaky\) is FAILED/,
    );
    await vi.advanceTimersByTimeAsync(0);
    await failedDependent;
    expect(ec.state(chained)).toBe("FAILED");
    expect(ec.failure(chained)).toMatch(/guid 2 .* is FAILED/);
    await vi.advanceTimersByTimeAsync(1000);
    await ec.waitFinished(independent);
    expect(ec.state(independent)).toBe("FINISHED");
    expect(ec.ecState).toBe("RUNNING");
  });

  it("a non-critical member that fails in deploy does not hold back the start of its group", async () => {
    const ec = new ExperimentController();
    const bad = ec.registerResource("sim::Task", { failIn: "deploy", critical: false });
    const a = ec.registerResource("sim::Task", { duration: "1s", deployTime: "200ms" });
    ec.deploy();
    await vi.advanceTimersByTimeAsync(1500);
    expect(ec.state(bad)).toBe("FAILED");
    expect(ec.state(a)).toBe("FINISHED");
  });

  it("a failure cascading along a long chain does not grow the stack", async () => {
    const ec = new ExperimentController();
    const first = ec.registerResource("sim::Task", { failIn: "start", critical: false });
    let prev = first;
    for (let i = 0; i < 20_000; i++) {
      const g = ec.registerResource("sim::Task", { duration: "0s", critical: false });
      ec.registerCondition(g, "START", prev, "STARTED");
      prev = g;
    }
    ec.deploy();
    await vi.advanceTimersByTimeAsync(0);
    expect(ec.state(prev)).toBe("FAILED");
  });
});

describe("deploy and release", () => {
  it("deploys resources added after the first deploy", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { duration: "1s" });
    ec.deploy();
    await vi.advanceTimersByTimeAsync(100);
    const b = ec.registerResource("sim::Task", { duration: "1s" });
    ec.registerCondition(b, "START", a, "FINISHED");
    ec.deploy();
    expect(() => ec.deploy(a)).toThrow(/guid 1 \(sim::Task\) is already STARTED: only NEW resources can be deployed/);
    await vi.advanceTimersByTimeAsync(3000);
    expect(at(ec, b, "STARTED")).toBe(at(ec, a, "FINISHED"));
    expect(ec.state(b)).toBe("FINISHED");
  });

  it("releases a half-deployed experiment, waiting for what is in progress", async () => {
    const ec = new ExperimentController();
    const fast = ec.registerResource("sim::Task", { duration: "10s" });
    const slow = ec.registerResource("sim::Task", { deployTime: "5s", duration: "1s" });
    const never = ec.registerResource("sim::Task", { duration: "1s" });
    ec.registerCondition(never, "DEPLOY", slow, "STARTED");
    ec.deploy();
    await vi.advanceTimersByTimeAsync(1000);
    expect(ec.state(fast)).toBe("READY");
    expect(ec.state(slow)).toBe("NEW");
    const released = ec.release();
    await vi.advanceTimersByTimeAsync(0);
    await released;
    expect([fast, slow, never].map((g) => ec.state(g))).toEqual(["RELEASED", "RELEASED", "RELEASED"]);
    expect(states(ec, fast)).not.toContain("STARTED");
    expect(vi.getTimerCount()).toBe(0); // the 5s deploy of `slow` was cancelled, not left behind
  });

  it("bounds concurrent operations by maxConcurrency", async () => {
    let running = 0;
    let peak = 0;
    defineResourceType({
      rtype: "test::Slow",
      backend: "test",
      help: "takes 100ms to discover",
      attributes: [CRITICAL_ATTRIBUTE],
      traces: [],
      roles: [],
      connections: [],
      finishes: "always",
      platform: "any",
      look: { abbreviation: "SL", group: "test", color: "#ccc" },
      charts: [],
    });
    registerResourceManager("test::Slow", () => ({
      async discover() {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 100));
        running--;
      },
    }));
    const ec = new ExperimentController({ maxConcurrency: 3 });
    const guids = Array.from({ length: 10 }, () => ec.registerResource("test::Slow"));
    ec.deploy();
    await vi.advanceTimersByTimeAsync(1000);
    expect(peak).toBe(3);
    expect(guids.every((g) => ec.state(g) === "STARTED")).toBe(true);
    expect(at(ec, guids[9]!, "READY")).toBe(400); // 10 operations, 3 at a time: 4 rounds
  });

  it("takes its default concurrency from NEPI_NTHREADS, like NEPI", () => {
    vi.stubEnv("NEPI_NTHREADS", "7");
    expect(new ExperimentController().maxConcurrency).toBe(7);
    vi.stubEnv("NEPI_NTHREADS", "lots");
    expect(new ExperimentController().maxConcurrency).toBe(50);
    vi.unstubAllEnvs();
    expect(() => new ExperimentController({ maxConcurrency: 0 })).toThrow("maxConcurrency: expected a positive integer, got 0");
  });

  it("waits reject after their timeout, naming what was not there", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { deployTime: "10s" });
    ec.deploy();
    const wait = expect(ec.waitDeployed(a, { timeout: "2s" })).rejects.toThrow(
      /wait for READY timed out after 2s: guid 1 \(sim::Task\) is NEW/,
    );
    await vi.advanceTimersByTimeAsync(2000);
    await wait;
    await ec.shutdown();
    expect(ec.ecState).toBe("TERMINATED");
  });

  it("emits every transition as an event, the same objects as the timeline", async () => {
    const ec = new ExperimentController();
    const seen: StateEvent[] = [];
    ec.on("state", (e) => seen.push(e));
    ec.registerResource("sim::Task", { duration: "0s" });
    ec.deploy();
    await vi.advanceTimersByTimeAsync(0);
    await ec.release();
    expect(seen).toEqual(ec.timeline());
    expect(seen[0]).toBe(ec.timeline()[0]);
    expect(seen.map((e) => `${e.previous}>${e.state}`)).toEqual([
      "NEW>DISCOVERED",
      "DISCOVERED>PROVISIONED",
      "PROVISIONED>READY",
      "READY>STARTED",
      "STARTED>FINISHED",
      "FINISHED>RELEASED",
    ]);
  });

  it("starts and stops by hand, refusing a wrong state with a clear error", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", {});
    expect(() => ec.start(a)).toThrow(/start: guid 1 \(sim::Task\) is NEW: only a READY resource can be started/);
    ec.deploy(a, { startTogether: false });
    await vi.advanceTimersByTimeAsync(0);
    expect(ec.state(a)).toBe("STARTED");
    expect(() => ec.start(a)).toThrow(/is STARTED: only a READY/);
    await ec.stop(a);
    expect(ec.state(a)).toBe("STOPPED");
    expect(() => ec.stop(a)).toThrow(/stop: guid 1 \(sim::Task\) is STOPPED: only a STARTED resource can be stopped/);
  });
});

describe("traces", () => {
  it("does not repeat a line when followed from inside a state listener", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { duration: "1s" });
    const chunks: string[] = [];
    ec.on("state", (e) => {
      if (e.state === "STARTED") ec.followTrace(a, "stdout", { offset: 0 }, (c) => chunks.push(c));
    });
    ec.deploy();
    await vi.advanceTimersByTimeAsync(1000);
    expect(chunks.join("")).toBe(String(await ec.trace(a, "stdout")));
  });

  it("reads sim::Task stdout as ALL, SIZE and STREAM, and follows it live", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { duration: "1s" });
    ec.registerTrace(a, "stdout");
    expect(() => ec.registerTrace(a, "pcap")).toThrow(/sim::Task has no trace "pcap" \(its traces: stdout\)/);
    ec.deploy();
    await vi.advanceTimersByTimeAsync(0);
    const chunks: string[] = [];
    const stop = ec.followTrace(a, "stdout", { offset: 0 }, (c) => chunks.push(c));
    await vi.advanceTimersByTimeAsync(1000);
    stop();
    const all = String(await ec.trace(a, "stdout"));
    expect(
      all
        .trim()
        .split("\n")
        .map((l) => l.split(" ")[1]),
    ).toEqual(["DISCOVERED", "PROVISIONED", "READY", "STARTED", "FINISHED"]);
    expect(chunks.join("")).toBe(all);
    expect(await ec.trace(a, "stdout", { attr: "SIZE" })).toBe(all.length);
    expect(await ec.trace(a, "stdout", { attr: "STREAM", block: 10, offset: 1 })).toBe(all.slice(10, 20));
  });
});
