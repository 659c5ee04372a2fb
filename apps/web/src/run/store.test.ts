import { beforeEach, describe, expect, it } from "vitest";
import type { StateEvent } from "@nepi/core";
import { createRunStore, type RunStore } from "./store";

const ev = (guid: number, state: StateEvent["state"], at: number, reason?: string): StateEvent => ({
  guid,
  state,
  previous: "NEW",
  at,
  ...(reason ? { reason } : {}),
});

describe("run store", () => {
  let run: RunStore;
  beforeEach(() => {
    run = createRunStore();
    run.getState().beginRun("r1");
  });

  it("applies a burst of transitions in one batch, keeping untouched entries identical", () => {
    const s = run.getState();
    const initial: Record<number, { state: "NEW" }> = {};
    for (let g = 1; g <= 1000; g++) initial[g] = { state: "NEW" };
    s.applySnapshot(initial, [], "0");
    const before = run.getState().states;

    let notified = 0;
    const unsubscribe = run.subscribe(() => notified++);
    const burst: StateEvent[] = [];
    for (let g = 1; g <= 500; g++) burst.push(ev(g, "READY", 10));
    s.enqueue(burst, "500");
    // Nothing applied before the frame.
    expect(run.getState().states[1].state).toBe("NEW");
    expect(notified).toBe(0);
    s.flush();
    unsubscribe();

    const after = run.getState();
    expect(notified).toBe(1);
    expect(after.states[1].state).toBe("READY");
    expect(after.states[500].state).toBe("READY");
    // A node selecting its own entry sees the same object when its state did not change.
    expect(after.states[501]).toBe(before[501]);
    expect(after.states[1000]).toBe(before[1000]);
    expect(after.counts).toMatchObject({ total: 1000, READY: 500, STARTED: 0 });
    expect(after.lastEventId).toBe("500");
    expect(after.timeline).toHaveLength(500);
  });

  it("keeps the last state of a resource changed twice in one batch, and lists failures", () => {
    const s = run.getState();
    s.applySnapshot({ 1: { state: "READY" }, 2: { state: "READY" } }, []);
    s.enqueue([ev(1, "STARTED", 1), ev(2, "STARTED", 1), ev(1, "FINISHED", 2), ev(2, "FAILED", 3, "exit code 3")]);
    s.flush();
    const st = run.getState();
    expect(st.states[1]).toEqual({ state: "FINISHED" });
    expect(st.states[2]).toEqual({ state: "FAILED", reason: "exit code 3" });
    expect(st.failures).toEqual([{ guid: 2, reason: "exit code 3" }]);
    expect(st.counts).toMatchObject({ FINISHED: 1, FAILED: 1, STARTED: 0 });
    // Every transition stays in the timeline, in order.
    expect(st.timeline.map((e) => `${e.guid}:${e.state}`)).toEqual(["1:STARTED", "2:STARTED", "1:FINISHED", "2:FAILED"]);
  });

  it("merges the transitions before the snapshot into the timeline once", () => {
    const s = run.getState();
    s.enqueue([ev(1, "READY", 30)]);
    s.flush();
    s.mergeTimeline([ev(1, "DISCOVERED", 10), ev(1, "PROVISIONED", 20), ev(1, "READY", 30)]);
    s.mergeTimeline([ev(1, "DISCOVERED", 10)]);
    expect(run.getState().timeline.map((e) => e.state)).toEqual(["DISCOVERED", "PROVISIONED", "READY"]);
  });

  it("shows a transition once when runs.get brings it while the stream's copy is queued or still to come", () => {
    const s = run.getState();
    // Queued for the next frame when runs.get answers…
    s.enqueue([ev(1, "READY", 30)]);
    // …and one the stream has not delivered yet.
    s.mergeTimeline([ev(1, "PROVISIONED", 20), ev(1, "READY", 30), ev(1, "STARTED", 40)]);
    s.flush();
    s.enqueue([ev(1, "STARTED", 40), ev(1, "FINISHED", 50)]);
    s.flush();
    expect(run.getState().timeline.map((e) => e.state)).toEqual(["PROVISIONED", "READY", "STARTED", "FINISHED"]);
    expect(run.getState().states[1]).toEqual({ state: "FINISHED" });
  });

  it("counts each resource's redeploys (back to NEW after its release): its trace pane starts again", () => {
    const s = run.getState();
    s.enqueue([
      ev(1, "STARTED", 10),
      { guid: 1, state: "RELEASED", previous: "STARTED", at: 20 },
      { guid: 1, state: "NEW", previous: "RELEASED", at: 21 },
    ]);
    s.flush();
    expect(run.getState().redeploys).toEqual({ 1: 1 });
    const before = run.getState().redeploys;
    s.enqueue([ev(2, "STARTED", 30)]);
    s.flush();
    expect(run.getState().redeploys).toBe(before);
  });

  it("starts empty for a new run and forgets the queued transitions of the previous one", () => {
    const s = run.getState();
    s.enqueue([ev(1, "STARTED", 1)]);
    s.beginRun("r2");
    s.flush();
    const st = run.getState();
    expect(st.runId).toBe("r2");
    expect(st.states).toEqual({});
    expect(st.timeline).toEqual([]);
  });

  it("two stores are independent: transitions queued in one never reach the other", () => {
    const other = createRunStore();
    other.getState().beginRun("r9");
    run.getState().enqueue([ev(1, "STARTED", 1)]);
    other.getState().flush();
    expect(other.getState().states).toEqual({});
    run.getState().flush();
    expect(run.getState().states[1]).toEqual({ state: "STARTED" });
    expect(other.getState().runId).toBe("r9");
  });
});

describe("traces a run could not collect", () => {
  it("come with the run's last status and are forgotten when another run is shown", async () => {
    const { applyRunEvent } = await import("./live");
    const run = createRunStore();
    run.getState().beginRun("r2");
    const missing = [{ guid: 2, name: "out", reason: "copying it from local failed: EISDIR" }];
    applyRunEvent(run, { type: "status", seq: 9, status: "RELEASED", at: 1, missingTraces: missing });
    expect(run.getState().missingTraces).toEqual(missing);
    run.getState().beginRun("r3");
    expect(run.getState().missingTraces).toEqual([]);
  });
});
