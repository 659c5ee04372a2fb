import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ExperimentController, type LogEvent } from "../index.js";

let t0 = 0;
beforeEach(() => {
  vi.useFakeTimers();
  t0 = Date.now();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("ec.schedule(delay, callback)", () => {
  it("calls the callback once the delay has passed, and not before", async () => {
    const ec = new ExperimentController();
    const calls: number[] = [];
    ec.schedule("1.5s", () => calls.push(Date.now() - t0));
    ec.schedule(200, () => calls.push(Date.now() - t0));
    await vi.advanceTimersByTimeAsync(1499);
    expect(calls).toEqual([200]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual([200, 1500]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toEqual([200, 1500]);
  });

  it("a callback may drive the experiment (NEPI's schedule: stop a resource later)", async () => {
    const ec = new ExperimentController();
    const task = ec.registerResource("sim::Task", {});
    ec.deploy();
    ec.schedule("2s", () => ec.stop(task));
    await vi.advanceTimersByTimeAsync(2000);
    expect(ec.state(task)).toBe("STOPPED");
    await ec.shutdown();
  });

  it("reports a throwing or rejecting callback as a log event, and goes on", async () => {
    const ec = new ExperimentController();
    const logs: LogEvent[] = [];
    ec.on("log", (e) => logs.push(e));
    ec.schedule("1s", () => {
      throw new Error("boom");
    });
    ec.schedule("2s", () => Promise.reject(new Error("later boom")));
    let ran = false;
    ec.schedule("3s", () => (ran = true));
    await vi.advanceTimersByTimeAsync(3000);
    expect(logs.map((l) => l.message)).toEqual(["a scheduled callback failed: boom", "a scheduled callback failed: later boom"]);
    expect(ran).toBe(true);
    expect(ec.ecState).toBe("RUNNING");
  });

  it("is cancelled by cancel(), by shutdown and by the experiment's failure", async () => {
    const ec = new ExperimentController();
    let calls = 0;
    ec.schedule("1s", () => calls++).cancel();
    ec.schedule("2s", () => calls++);
    await ec.shutdown();
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toBe(0);
    expect(() => ec.schedule("1s", () => calls++)).toThrow(/schedule: the experiment controller was shut down/);

    const failing = new ExperimentController();
    failing.registerResource("sim::Task", { failIn: "start" });
    failing.schedule("1s", () => calls++);
    failing.deploy();
    await vi.advanceTimersByTimeAsync(5000);
    expect(failing.ecState).toBe("FAILED");
    expect(calls).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("refuses a bad delay with its field", () => {
    const ec = new ExperimentController();
    expect(() => ec.schedule("soon", () => {})).toThrow(/delay/);
  });
});

describe("ec.wait(guids, states)", () => {
  it("resolves when every guid reached one of the states (or a later one)", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { duration: "1s" });
    const b = ec.registerResource("sim::Task", { duration: "3s" });
    ec.deploy();
    let when = -1;
    const waited = ec.wait([a, b], "FINISHED").then(() => (when = Date.now() - t0));
    await vi.advanceTimersByTimeAsync(2000);
    expect(when).toBe(-1);
    await vi.advanceTimersByTimeAsync(1000);
    await waited;
    expect(when).toBe(3000);
    // Already there: at once. STOPPED and FINISHED both mean ended.
    await ec.wait(a, ["STARTED"]);
    await ec.wait(a, "STOPPED");
    await ec.shutdown();
  });

  it("may wait for FAILED: it resolves on the failure instead of rejecting", async () => {
    const ec = new ExperimentController();
    const flaky = ec.registerResource("sim::Task", { failIn: "run", critical: false });
    ec.deploy();
    await ec.wait(flaky, ["FINISHED", "FAILED"]);
    expect(ec.state(flaky)).toBe("FAILED");
    await expect(ec.wait(flaky, "FINISHED")).rejects.toThrow(
      /wait for FINISHED of guid 1 ended: failed: guid 1 \(sim::Task\): simulated failure/,
    );
    await ec.shutdown();
  });

  it("waits for RELEASED beyond the experiment's failure", async () => {
    const ec = new ExperimentController();
    const bad = ec.registerResource("sim::Task", { failIn: "start" });
    const ok = ec.registerResource("sim::Task", {});
    ec.deploy();
    // The experiment fails, and its release follows: the wait for it outlives the failure.
    await ec.wait(ok, "RELEASED");
    expect(ec.ecState).toBe("FAILED");
    expect(ec.state(ok)).toBe("RELEASED");
    expect(ec.state(bad)).toBe("FAILED");
  });

  it("times out naming what was not there, and refuses a state that is none", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", {});
    const b = ec.registerResource("sim::Task", {});
    ec.deploy(a);
    const waited = expect(ec.wait([a, b], "STARTED", { timeout: "1s" })).rejects.toThrow(
      "wait for STARTED timed out after 1s: guid 2 (sim::Task) is NEW",
    );
    await vi.advanceTimersByTimeAsync(1000);
    await waited;
    expect(() => ec.wait(a, "DONE" as never)).toThrow('states: "DONE" is not a state');
    expect(() => ec.wait(a, [])).toThrow("states: expected at least one state");
    await ec.shutdown();
  });
});
