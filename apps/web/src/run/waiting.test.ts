import { describe, expect, it } from "vitest";
import type { GateEvent, WaitReason } from "@nepi/core";
import { createRunStore } from "./store";
import { applyRunEvent } from "./live";
import { waitingText } from "../designer/WaitingOn";

const gate = (status: GateEvent["status"], at: number, firesAt?: number): GateEvent => ({
  gate: 7,
  status,
  condition: 0,
  action: "START",
  subjects: [2],
  after: [1],
  state: "STARTED",
  delayMs: 3000,
  at,
  ...(firesAt !== undefined ? { firesAt } : {}),
});
const waitsOn = (text: string): WaitReason[] => [
  {
    kind: "condition",
    action: "START",
    after: [1],
    state: "STARTED",
    delayMs: 3000,
    remaining: [{ guid: 1, state: "READY" }],
    text,
  },
];

describe("what the shown run waits for", () => {
  it("keeps each condition's last gate event, from the snapshot and the stream, forgotten with the run", () => {
    const run = createRunStore();
    run.getState().beginRun("r1");
    applyRunEvent(run, { type: "snapshot", seq: 4, status: "RUNNING", resources: [], gates: [gate("armed", 100, 3100)] });
    expect(run.getState().gates[0]).toMatchObject({ status: "armed", firesAt: 3100 });
    applyRunEvent(run, { type: "gate", seq: 5, gate: gate("opened", 3100) });
    expect(run.getState().gates[0]).toMatchObject({ status: "opened", at: 3100 });
    run.getState().beginRun("r2");
    expect(run.getState().gates).toEqual({});
  });

  it("replaces what each resource waits for, keeping an unchanged answer's identity (its node does not re-render)", () => {
    const run = createRunStore();
    run.getState().beginRun("r1");
    run.getState().setWaitingOn([
      { guid: 2, waitingOn: waitsOn("START after guid 1 STARTED + 3s: guid 1 is READY") },
      { guid: 3, waitingOn: waitsOn("x") },
    ]);
    const two = run.getState().waitingOn[2];
    run.getState().setWaitingOn([{ guid: 2, waitingOn: waitsOn("START after guid 1 STARTED + 3s: guid 1 is READY") }]);
    expect(run.getState().waitingOn[2]).toBe(two);
    expect(run.getState().waitingOn[3]).toBeUndefined();
    expect(waitingText(run.getState().waitingOn[2])).toBe("START after guid 1 STARTED + 3s: guid 1 is READY");
    expect(waitingText(undefined)).toBe("");
    // A delay that runs is said by when it ends, which stays true while the hover is open.
    const counting = {
      ...waitsOn("START after guid 1 STARTED + 3s: 1.5s left")[0]!,
      remaining: [],
      firesAt: new Date(2026, 0, 1, 10, 0, 3).getTime(),
    };
    expect(waitingText([counting])).toBe("START after guid 1 STARTED + 3s: its delay ends at 10:00:03");
  });
});
