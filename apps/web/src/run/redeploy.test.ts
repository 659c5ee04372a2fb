import { describe, expect, it } from "vitest";
import type { ExperimentDocument } from "@nepi/core";
import { createRunStore, type RunStore, type RunStoreState } from "./store";
import { createLiveRuns } from "./live";
import { deploySelectedBlocker, redeployBlocker } from "./partial";

const GATE = { readOnly: false, empty: false, busy: false, problemCount: 0 };

/** Resolves once the run store satisfies `ok` (it notifies on every change: no polling). */
function until(run: RunStore, ok: (s: RunStoreState) => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (ok(run.getState())) return resolve();
    const off = run.subscribe((s) => {
      if (!ok(s)) return;
      off();
      resolve();
    });
  });
}

describe("Deploy selected", () => {
  it("needs a selection, and is blocked for the same reasons as Deploy", () => {
    expect(deploySelectedBlocker(GATE, 2)).toBeNull();
    expect(deploySelectedBlocker(GATE, 0)).toMatch(/^Select the resources to deploy first/);
    expect(deploySelectedBlocker({ ...GATE, busy: true }, 2)).toBe("A run is going on: stop or release it first.");
    expect(deploySelectedBlocker({ ...GATE, problemCount: 1 }, 2)).toBe("Fix the problem listed below before deploying.");
  });
});

describe("Redeploy", () => {
  it("is offered for a deployed resource of a live, running or finished run only", () => {
    expect(redeployBlocker({ phase: "live", status: "RUNNING", state: "STARTED" })).toBeNull();
    expect(redeployBlocker({ phase: "live", status: "FINISHED", state: "FINISHED" })).toBeNull();
    expect(redeployBlocker({ phase: "live", status: "RUNNING", state: "NEW" })).toBe(
      "This resource was not deployed in this run.",
    );
    expect(redeployBlocker({ phase: "live", status: "STOPPED", state: "STOPPED" })).toBe(
      "Only a resource of a running run can be redeployed.",
    );
    expect(redeployBlocker({ phase: "ended", status: "RELEASED", state: "RELEASED" })).toBe(
      "Only a resource of a running run can be redeployed.",
    );
    expect(redeployBlocker({ phase: "history", status: "RUNNING", state: "STARTED" })).toBe(
      "This is a past run, shown read-only.",
    );
  });

  it("redeploys a node of a dry run: its application is released first and both come back, in the timeline", async () => {
    const doc: ExperimentDocument = {
      format: "nepi-experiment@1",
      name: "dry",
      resources: [
        { guid: 1, type: "linux::Node", label: "host", attributes: { hostname: "a.example" }, traces: [] },
        { guid: 2, type: "linux::Ping", label: "ping", attributes: { target: "b.example" }, traces: [] },
      ],
      connections: [{ source: 2, target: 1 }],
      conditions: [],
    };
    const run = createRunStore();
    const live = createLiveRuns(run);
    live.startDry(doc);
    await until(run, (s) => s.status === "FINISHED");
    await live.redeploy(1);
    expect(run.getState().status).toBe("RUNNING");
    await until(run, (s) => s.status === "FINISHED" && s.states[2]?.state === "FINISHED");
    const after = run.getState().timeline.map((e) => `${e.guid} ${e.state}`);
    const tail = after.slice(after.indexOf("2 RELEASED"));
    expect(tail).toEqual([
      "2 RELEASED",
      "1 RELEASED",
      "1 NEW",
      "2 NEW",
      "1 DISCOVERED",
      "1 PROVISIONED",
      "1 READY",
      "2 DISCOVERED",
      "2 PROVISIONED",
      "2 READY",
      "1 STARTED",
      "2 STARTED",
      "2 FINISHED",
    ]);
    await live.release();
  });
});
