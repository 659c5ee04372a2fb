import { describe, expect, it } from "vitest";
import { ExperimentController, validateDocument, type ExperimentDocumentInput, type StateEvent } from "../index.js";

/** Failures planned for, with sim::Tasks: conditions on FAILED, retries, "Retry failed". */

/** Resolves with the first transition of `guid` to `state`. */
function reaches(ec: ExperimentController, guid: number, state: string): Promise<StateEvent> {
  const seen = ec.timeline().find((e) => e.guid === guid && e.state === state);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve) => {
    const on = (e: StateEvent) => {
      if (e.guid === guid && e.state === state) {
        ec.off("state", on);
        resolve(e);
      }
    };
    ec.on("state", on);
  });
}

const states = (ec: ExperimentController, guid: number) =>
  ec
    .timeline()
    .filter((e) => e.guid === guid)
    .map((e) => e.state);

describe("conditions on FAILED", () => {
  it("STOP the load generator when the server FAILED", async () => {
    const ec = new ExperimentController();
    const server = ec.registerResource("sim::Task", { duration: "20ms", failIn: "run", critical: false });
    const load = ec.registerResource("sim::Task", {});
    ec.registerCondition(load, "STOP", server, "FAILED");
    ec.deploy();
    const stopped = await reaches(ec, load, "STOPPED");
    const failed = await reaches(ec, server, "FAILED");
    expect(stopped.at).toBeGreaterThanOrEqual(failed.at);
    expect(ec.ecState).toBe("RUNNING");
    await ec.shutdown();
  });

  it("a STOP planned for a failure that does not come is dropped: the subject runs on", async () => {
    const ec = new ExperimentController();
    const server = ec.registerResource("sim::Task", { duration: "10ms" });
    const load = ec.registerResource("sim::Task", {});
    ec.registerCondition(load, "STOP", server, "FAILED");
    const logs: string[] = [];
    ec.on("log", (e) => logs.push(e.message));
    ec.deploy();
    await ec.waitFinished(server);
    expect(ec.state(load)).toBe("STARTED");
    expect(logs).toContain("STOP after guid 1 FAILED dropped: guid 1 (sim::Task) is FINISHED");
    await ec.shutdown();
    expect(states(ec, load)).not.toContain("STOPPED");
  });

  it("a STOP on a failure stops at once, whatever the other STOP conditions wait for; dropped, it holds none of them", async () => {
    const ec = new ExperimentController();
    const fails = ec.registerResource("sim::Task", { failIn: "run", critical: false });
    const fine = ec.registerResource("sim::Task", { duration: "10ms" });
    const never = ec.registerResource("sim::Task", {});
    const load = ec.registerResource("sim::Task", {});
    const other = ec.registerResource("sim::Task", {});
    ec.registerCondition(load, "STOP", fails, "FAILED");
    ec.registerCondition(load, "STOP", never, "STOPPED");
    ec.registerCondition(other, "STOP", fine, "FAILED");
    ec.registerCondition(other, "STOP", fine, "FINISHED", "10ms");
    ec.registerCondition(never, "STOP", other, "STOPPED");
    ec.deploy();
    await reaches(ec, load, "STOPPED");
    expect(ec.state(never)).toBe("STARTED");
    const stopped = await reaches(ec, other, "STOPPED");
    expect(stopped.at - (await reaches(ec, fine, "FINISHED")).at).toBeGreaterThanOrEqual(10);
    await reaches(ec, never, "STOPPED");
    await ec.shutdown();
  });

  it("a START waiting on a failure that does not come fails with the reason", async () => {
    const ec = new ExperimentController();
    const primary = ec.registerResource("sim::Task", { duration: "5ms" });
    const fallback = ec.registerResource("sim::Task", { duration: "5ms", critical: false });
    ec.registerCondition(fallback, "START", primary, "FAILED");
    ec.deploy();
    await reaches(ec, fallback, "FAILED");
    expect(ec.failure(fallback)).toBe("cannot START: it waits for START after guid 1 FAILED, but guid 1 (sim::Task) is FINISHED");
    expect(ec.ecState).toBe("RUNNING");
    await ec.shutdown();
  });

  it("a START waiting on a failure runs once it happens, counted from the failure", async () => {
    const ec = new ExperimentController();
    const primary = ec.registerResource("sim::Task", { duration: "5ms", failIn: "start", critical: false });
    const fallback = ec.registerResource("sim::Task", { duration: "5ms" });
    ec.registerCondition(fallback, "START", primary, "FAILED", "20ms");
    ec.deploy();
    await ec.waitFinished(fallback);
    const failed = await reaches(ec, primary, "FAILED");
    expect((await reaches(ec, fallback, "STARTED")).at - failed.at).toBeGreaterThanOrEqual(20);
    await ec.shutdown();
  });

  it("documents may wait on FAILED, not on RELEASED; a wait on the failure of what never ends is refused", () => {
    const doc = (state: string, duration?: string): ExperimentDocumentInput => ({
      format: "nepi-experiment@1",
      name: "f",
      resources: [
        { guid: 1, type: "sim::Task", attributes: duration ? { duration } : {} },
        { guid: 2, type: "sim::Task", attributes: { duration: "1s" } },
      ],
      conditions: [{ group: [2], action: "START", after: [1], state: state as "FAILED" }],
    });
    expect(validateDocument(doc("FAILED", "1s"))).toEqual([]);
    expect(validateDocument(doc("RELEASED", "1s")).map((p) => `${p.path}: ${p.message}`)).toEqual([
      'conditions[0].state: "RELEASED" cannot be waited for',
    ]);
    expect(validateDocument(doc("FAILED")).map((p) => `${p.code} ${p.path}: ${p.message}`)).toEqual([
      "NEVER_ENDS conditions[0]: START guid 2 after guid 1 FAILED may wait forever: whether it failed is known once it ended, and guid 1 (sim::Task) does not end by itself and no STOP condition stops it",
    ]);
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task");
    const b = ec.registerResource("sim::Task");
    expect(() => ec.registerCondition(b, "START", a, "RELEASED")).toThrow(
      /"RELEASED" cannot be waited for \(one of DISCOVERED, PROVISIONED, READY, STARTED, STOPPED, FINISHED, FAILED\)/,
    );
  });
});

describe("retries", () => {
  it("a failed start is tried again after retryDelay; each attempt is in the timeline", async () => {
    const ec = new ExperimentController();
    const t = ec.registerResource("sim::Task", {
      duration: "5ms",
      failIn: "start",
      failAttempts: 2,
      retries: 3,
      retryDelay: "30ms",
    });
    ec.deploy();
    await ec.waitFinished(t);
    const events = ec.timeline().filter((e) => e.guid === t);
    expect(events.map((e) => [e.state, e.attempt])).toEqual([
      ["DISCOVERED", undefined],
      ["PROVISIONED", undefined],
      ["READY", undefined],
      ["READY", 2],
      ["READY", 3],
      ["STARTED", 3],
      ["FINISHED", 3],
    ]);
    expect(events[3]!.reason).toBe(
      "attempt 1 of 4 failed: start failed: simulated failure in start (failIn=start); attempt 2 in 30ms",
    );
    expect(events[4]!.reason).toMatch(/^attempt 2 of 4 failed: .*; attempt 3 in 30ms$/);
    // Each retry waited its delay after the failure before it.
    expect(events[4]!.at - events[3]!.at).toBeGreaterThanOrEqual(30);
    expect(events[5]!.at - events[4]!.at).toBeGreaterThanOrEqual(30);
    expect(ec.failure(t)).toBeUndefined();
    await ec.shutdown();
  });

  it("a failed run and a failed deploy are retried too; past the last attempt the resource is FAILED", async () => {
    const ec = new ExperimentController();
    const run = ec.registerResource("sim::Task", { duration: "5ms", failIn: "run", retries: 1, critical: false });
    const deploy = ec.registerResource("sim::Task", { duration: "5ms", failIn: "deploy", failAttempts: 1, retries: 1 });
    ec.deploy(undefined, { startTogether: false });
    await reaches(ec, run, "FAILED");
    await ec.waitFinished(deploy);
    expect(states(ec, run)).toEqual(["DISCOVERED", "PROVISIONED", "READY", "STARTED", "READY", "STARTED", "FAILED"]);
    expect(ec.failure(run)).toBe("simulated failure while running (failIn=run) (attempt 2 of 2)");
    expect(states(ec, deploy)).toEqual(["NEW", "DISCOVERED", "PROVISIONED", "READY", "STARTED", "FINISHED"]);
    expect(ec.timeline().find((e) => e.guid === deploy)!.reason).toBe(
      "attempt 1 of 2 failed: discover failed: simulated failure in deploy (failIn=deploy); attempt 2 now",
    );
    await ec.shutdown();
  });

  it("what waits on a retried resource waits for its last attempt", async () => {
    const ec = new ExperimentController();
    const flaky = ec.registerResource("sim::Task", { duration: "5ms", failIn: "run", failAttempts: 1, retries: 1 });
    const next = ec.registerResource("sim::Task", { duration: "5ms" });
    ec.registerCondition(next, "START", flaky, "FINISHED");
    ec.deploy();
    await ec.waitFinished(next);
    expect((await reaches(ec, next, "STARTED")).at).toBeGreaterThanOrEqual((await reaches(ec, flaky, "FINISHED")).at);
    expect(ec.ecState).toBe("RUNNING");
    await ec.shutdown();
  });

  it("a pending retry is cancelled when the experiment fails", async () => {
    const ec = new ExperimentController();
    const slow = ec.registerResource("sim::Task", { duration: "5ms", failIn: "start", retries: 5, retryDelay: "1h" });
    const bad = ec.registerResource("sim::Task", { failIn: "start" });
    ec.deploy(undefined, { startTogether: false });
    await reaches(ec, bad, "FAILED");
    expect(ec.ecState).toBe("FAILED");
    await ec.waitReleased(slow);
    expect(states(ec, slow)).toEqual(["DISCOVERED", "PROVISIONED", "READY", "READY", "RELEASED"]);
  });
});

describe("retry failed", () => {
  it("re-runs the failed resource and what failed because of it, not what went well", async () => {
    const ec = new ExperimentController();
    const fine = ec.registerResource("sim::Task", { duration: "5ms" });
    const flaky = ec.registerResource("sim::Task", { duration: "5ms", failIn: "run", failAttempts: 1, critical: false });
    const after = ec.registerResource("sim::Task", { duration: "5ms", critical: false });
    ec.registerCondition(after, "START", flaky, "FINISHED");
    ec.deploy();
    await reaches(ec, after, "FAILED");
    await ec.waitFinished(fine);
    expect(ec.failure(after)).toMatch(
      /^cannot START: it waits for START after guid 2 FINISHED, but guid 2 \(sim::Task\) is FAILED/,
    );

    expect(ec.retryFailed()).toEqual([flaky, after]);
    await ec.waitFinished([flaky, after]);
    expect(states(ec, flaky)).toEqual([
      "DISCOVERED",
      "PROVISIONED",
      "READY",
      "STARTED",
      "FAILED",
      "READY",
      "STARTED",
      "FINISHED",
    ]);
    expect(states(ec, after)).toEqual(["DISCOVERED", "PROVISIONED", "READY", "FAILED", "READY", "STARTED", "FINISHED"]);
    expect(ec.timeline().find((e) => e.guid === flaky && e.previous === "FAILED")).toMatchObject({
      reason: "retry failed: attempt 2",
      attempt: 2,
    });
    // What went well was neither redeployed nor restarted.
    expect(states(ec, fine)).toEqual(["DISCOVERED", "PROVISIONED", "READY", "STARTED", "FINISHED"]);
    expect(ec.failure(flaky)).toBeUndefined();
    expect(ec.retryFailed()).toEqual([]);
    await ec.shutdown();
  });

  it("a resource that never got deployed deploys again, after what it waits for", async () => {
    const ec = new ExperimentController();
    const flaky = ec.registerResource("sim::Task", { duration: "5ms", failIn: "deploy", failAttempts: 1, critical: false });
    const later = ec.registerResource("sim::Task", { duration: "5ms", critical: false });
    ec.registerCondition(later, "DEPLOY", flaky, "READY");
    ec.deploy();
    await reaches(ec, later, "FAILED");
    expect(states(ec, later)).toEqual(["FAILED"]);
    expect(ec.retryFailed().sort()).toEqual([flaky, later]);
    await ec.waitFinished([flaky, later]);
    expect((await reaches(ec, later, "DISCOVERED")).at).toBeGreaterThanOrEqual((await reaches(ec, flaky, "READY")).at);
    await ec.shutdown();
  });

  it("is refused once the experiment failed", async () => {
    const ec = new ExperimentController();
    const t = ec.registerResource("sim::Task", { failIn: "start" });
    ec.deploy();
    await reaches(ec, t, "FAILED");
    expect(() => ec.retryFailed()).toThrow(/retryFailed: the experiment has failed/);
    await ec.shutdown();
  });
});
