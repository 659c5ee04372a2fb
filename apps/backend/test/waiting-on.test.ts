import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunDetailSchema, RunWaitingSchema, type RunEvent } from "@nepi/core";
import { collectEvents, simDoc, startTestServer, type TestServer } from "./helpers.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

describe("a run that explains itself, through the API", () => {
  it("runs.get and runs.waitingOn say what each resource waits for; the stream carries the gate's countdown", async () => {
    const { client } = t;
    const doc = simDoc(
      "explained",
      [
        { guid: 1, attributes: { duration: "3s" } },
        { guid: 2, attributes: { duration: "10ms" } },
      ],
      { conditions: [{ group: [2], action: "START", after: [1], state: "STARTED", delay: "2s" }] },
    );
    const { id } = await client.experiments.save.mutate({ document: doc });
    const { runId } = await client.runs.start.mutate({ experimentId: id });
    const armed = (e: RunEvent) =>
      (e.type === "gate" && e.gate.status === "armed") || (e.type === "snapshot" && (e.gates ?? []).length > 0);
    const events = await collectEvents(client, { runId }, armed);
    const last = events.at(-1)!.data;
    const gate = last.type === "gate" ? last.gate : last.type === "snapshot" ? last.gates![0]! : undefined;
    expect(gate).toMatchObject({ status: "armed", condition: 0, action: "START", subjects: [2], after: [1], delayMs: 2000 });

    const run = RunDetailSchema.parse(await client.runs.get.query({ runId }));
    const started1 = run.timeline.find((e) => e.guid === 1 && e.state === "STARTED")!.at;
    expect(gate!.firesAt).toBe(started1 + 2000);
    const two = run.resources.find((r) => r.guid === 2)!;
    expect(two.state).toBe("READY");
    expect(two.waitingOn).toEqual([
      expect.objectContaining({
        kind: "condition",
        action: "START",
        after: [1],
        state: "STARTED",
        delayMs: 2000,
        remaining: [],
        firesAt: started1 + 2000,
      }),
    ]);
    expect(two.waitingOn![0]!.text).toMatch(/^START after guid 1 STARTED \+ 2s: [0-2](\.\d)?s left$/);
    expect(run.resources.find((r) => r.guid === 1)!.waitingOn).toEqual([
      { kind: "running", endsByItself: true, text: "running until it ends by itself" },
    ]);

    const waiting = RunWaitingSchema.parse(await client.runs.waitingOn.query({ runId }));
    expect(waiting.map((w) => w.guid)).toEqual([1, 2]);

    // Kept like the transitions: a stream read from the start replays the gate events in order, ids without a gap.
    const all = await collectEvents(client, { runId, lastEventId: "0" }, (e) => e.type === "status" && e.status === "FINISHED");
    const seqs = all.map((e) => Number(e.id));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1);
    const gates = all.flatMap((e) => (e.data.type === "gate" ? [e.data.gate.status] : []));
    expect(gates).toEqual(["armed", "opened"]);
    const finished = RunDetailSchema.parse(await client.runs.get.query({ runId }));
    expect(finished.resources.every((r) => r.waitingOn === undefined)).toBe(true);
    await client.runs.release.mutate({ runId });
    expect(await client.runs.waitingOn.query({ runId })).toEqual([]);
    await expect(client.runs.waitingOn.query({ runId: "no-such-run" })).rejects.toThrow(/does not exist/);
  });
});
