import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent, RunEventBatch, StateEvent } from "@nepi/core";
import { collectEvents, collectTrace, simDoc, startTestServer, waitForStatus, type TestServer } from "./helpers.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

const LIFECYCLE = ["DISCOVERED", "PROVISIONED", "READY", "STARTED", "FINISHED"];

function transitions(events: Array<{ data: RunEvent }>): StateEvent[] {
  return events.flatMap((e) => (e.data.type === "transition" ? [e.data.event] : []));
}

describe("runs of sim::Task through the API", () => {
  it("saves, runs, streams events in order, streams traces, keeps the history", async () => {
    const { client } = t;
    const catalog = await client.catalog.list.query();
    expect(catalog.map((c) => c.rtype)).toContain("sim::Task");

    const doc = simDoc(
      "chain",
      [
        { guid: 1, attributes: { duration: "30ms" }, traces: ["stdout"] },
        { guid: 2, attributes: { duration: "10ms" } },
      ],
      { conditions: [{ group: [2], action: "START", after: [1], state: "FINISHED", delay: "20ms" }] },
    );
    const { id } = await client.experiments.save.mutate({ document: doc });
    expect((await client.experiments.list.query()).map((e) => e.id)).toContain(id);

    const { runId } = await client.runs.start.mutate({ experimentId: id });
    // (Under load the run may even be over when the subscription starts: its snapshot says so.)
    const events = await collectEvents(
      client,
      { runId },
      (e) => (e.type === "status" || e.type === "snapshot") && e.status === "FINISHED",
    );

    // A snapshot first, then events with strictly increasing ids, one per seq, none missing.
    expect(events[0]!.data.type).toBe("snapshot");
    const seqs = events.map((e) => Number(e.id));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1);
    events.forEach((e) => expect(e.data.seq).toBe(Number(e.id)));

    // Each resource passes through the lifecycle in order; 2 starts after 1 FINISHED + 20ms.
    const run = await client.runs.get.query({ runId });
    for (const guid of [1, 2]) {
      expect(run.timeline.filter((e) => e.guid === guid).map((e) => e.state)).toEqual(LIFECYCLE);
    }
    const finished1 = run.timeline.find((e) => e.guid === 1 && e.state === "FINISHED")!.at;
    const started2 = run.timeline.find((e) => e.guid === 2 && e.state === "STARTED")!.at;
    expect(started2 - finished1).toBeGreaterThanOrEqual(19);
    // The stream carried the same transitions as the stored timeline (after its snapshot; the
    // stored events also hold the condition's gate events, which are not transitions).
    const snapshotSeq = events[0]!.data.seq;
    const stored = await collectEvents(
      client,
      { runId, lastEventId: "0" },
      (e) => e.type === "status" && e.status === "FINISHED",
    );
    expect(transitions(stored)).toEqual(run.timeline);
    expect(transitions(events)).toEqual(transitions(stored.filter((e) => e.data.seq > snapshotSeq)));
    expect(run.status).toBe("FINISHED");
    expect(run.resources.map((r) => r.state)).toEqual(["FINISHED", "FINISHED"]);

    // The live trace: one line per state reached.
    const live = await collectTrace(client, { runId, guid: 1, name: "stdout" }, (text) => text.includes("FINISHED"));
    expect(live.text.match(/DISCOVERED|PROVISIONED|READY|STARTED|FINISHED/g)).toEqual(LIFECYCLE);
    expect(live.chunks[0]!.offset).toBe(0);

    await client.runs.release.mutate({ runId });
    const released = await client.runs.get.query({ runId });
    expect(released.status).toBe("RELEASED");
    expect(released.releasedAt).toBeGreaterThan(0);
    expect(released.resources.map((r) => r.state)).toEqual(["RELEASED", "RELEASED"]);
    expect(released.traces).toEqual([{ guid: 1, name: "stdout", size: expect.any(Number) }]);

    // After release the trace comes from the run's copy on disk, whole, then ends.
    const kept = await collectTrace(client, { runId, guid: 1, name: "stdout" });
    expect(kept.text.match(/DISCOVERED|PROVISIONED|READY|STARTED|FINISHED|RELEASED/g)).toEqual([...LIFECYCLE, "RELEASED"]);
    expect(kept.chunks.at(-1)).toMatchObject({ end: true, offset: released.traces[0]!.size });
    // From an offset: only the rest.
    const tail = await collectTrace(client, { runId, guid: 1, name: "stdout", offset: live.chunks[1]!.offset });
    expect(kept.text.endsWith(tail.text)).toBe(true);
    expect(tail.text.length).toBeLessThan(kept.text.length);

    // The released run's event stream: its final snapshot, then it ends.
    const after = await collectEvents(client, { runId });
    expect(after).toHaveLength(1);
    expect(after[0]!.data).toMatchObject({ type: "snapshot", status: "RELEASED" });

    // History.
    const history = await client.runs.list.query({ experimentId: id });
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ runId, status: "RELEASED", counts: { RELEASED: 2 } });
  });

  it("resumes an event stream after its last event id with no gap and no duplicate", async () => {
    const { client } = t;
    const resources = Array.from({ length: 20 }, (_, i) => ({ guid: i + 1, attributes: { duration: `${5 + i}ms` } }));
    const { id } = await client.experiments.save.mutate({ document: simDoc("resume", resources) });
    const { runId } = await client.runs.start.mutate({ experimentId: id });

    // Read the first events (from the start of the run: however fast it goes, there are 101),
    // then drop the subscription.
    const first = await collectEvents(client, { runId, lastEventId: "0" }, (_e, all) => all.length >= 15);
    expect(first).toHaveLength(15);
    const lastEventId = first.at(-1)!.id;
    // Resume from the last id received: the rest, up to the end of the run.
    const rest = await collectEvents(client, { runId, lastEventId }, (e) => e.type === "status" && e.status === "FINISHED");
    expect(rest[0]!.data.type).not.toBe("snapshot");
    expect(Number(rest[0]!.id)).toBe(Number(lastEventId) + 1);

    // Together: every event once, in order, and the same transitions as the stored timeline.
    const ids = [...first, ...rest].map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_id, i) => i + 1));
    const run = await client.runs.get.query({ runId });
    expect(transitions([...first, ...rest])).toEqual(run.timeline);
    expect(run.timeline).toHaveLength(20 * LIFECYCLE.length);

    // A fresh subscription: a snapshot that agrees with the run, then nothing more yet.
    const fresh = await collectEvents(client, { runId }, (e) => e.type === "snapshot");
    expect(fresh[0]!.data).toMatchObject({ type: "snapshot", status: "FINISHED", seq: ids.at(-1) });
    expect((fresh[0]!.data as { resources: unknown[] }).resources).toEqual(run.resources);

    // Resuming from the very start replays every event.
    const replay = await collectEvents(
      client,
      { runId, lastEventId: "0" },
      (e) => e.type === "status" && e.status === "FINISHED",
    );
    expect(transitions(replay)).toEqual(run.timeline);
    await client.runs.release.mutate({ runId });
  });

  it("streams the same events grouped per burst (runs.eventBatches), resumable too", async () => {
    const { client } = t;
    const resources = Array.from({ length: 200 }, (_, i) => ({ guid: i + 1, attributes: { duration: "30ms" } }));
    const { id } = await client.experiments.save.mutate({ document: simDoc("batches", resources) });
    const { runId } = await client.runs.start.mutate({ experimentId: id });
    const batches = await new Promise<Array<{ id: string; data: RunEventBatch }>>((resolve, reject) => {
      const got: Array<{ id: string; data: RunEventBatch }> = [];
      const sub = client.runs.eventBatches.subscribe(
        { runId, lastEventId: "0" },
        {
          onData: (d) => {
            got.push(d as { id: string; data: RunEventBatch });
            if (d.data.events.some((e) => e.type === "status" && e.status === "FINISHED")) {
              sub.unsubscribe();
              resolve(got);
            }
          },
          onError: reject,
        },
      );
    });
    const flat = batches.flatMap((b) => b.data.events);
    // Every event once, in order; each batch's id is its last event's seq.
    expect(flat.map((e) => e.seq)).toEqual(flat.map((_e, i) => i + 1));
    batches.forEach((b) => expect(Number(b.id)).toBe(b.data.events.at(-1)!.seq));
    const run = await client.runs.get.query({ runId });
    expect(transitions(flat.map((data) => ({ data })))).toEqual(run.timeline);
    // The 200 tasks start together: far fewer messages than events.
    expect(batches.length).toBeLessThan(flat.length / 10);
    // Resume after an event id: the rest, nothing twice. (Not after the first batch: on a
    // loaded machine the run may be over before the subscription starts, all in one batch.)
    const from = String(flat[Math.floor(flat.length / 2)]!.seq);
    const rest = await new Promise<RunEventBatch[]>((resolve, reject) => {
      const got: RunEventBatch[] = [];
      const sub = client.runs.eventBatches.subscribe(
        { runId, lastEventId: from },
        {
          onData: (d) => {
            got.push(d.data as RunEventBatch);
            if (got.flatMap((b) => b.events).at(-1)!.seq === flat.at(-1)!.seq) {
              sub.unsubscribe();
              resolve(got);
            }
          },
          onError: reject,
        },
      );
    });
    expect(rest.flatMap((b) => b.events)).toEqual(flat.filter((e) => e.seq > Number(from)));
    await client.runs.release.mutate({ runId });
  });

  it("runs two experiments at once, each with its own controller", async () => {
    const { client } = t;
    const a = await client.experiments.save.mutate({ document: simDoc("a", [{ guid: 1, attributes: { duration: "150ms" } }]) });
    const b = await client.experiments.save.mutate({
      document: simDoc("b", [
        { guid: 1, attributes: { duration: "1h" } },
        { guid: 2, attributes: { duration: "20ms" } },
      ]),
    });
    const runA = (await client.runs.start.mutate({ experimentId: a.id })).runId;
    const runB = (await client.runs.start.mutate({ experimentId: b.id })).runId;
    expect(runA).not.toBe(runB);

    // b's guid 1 runs until stopped (an hour); b's guid 2 finishes while a still runs.
    const [evA, evB] = await Promise.all([
      waitForStatus(client, runA, (s) => s === "FINISHED"),
      collectEvents(
        client,
        { runId: runB, lastEventId: "0" },
        (e) => e.type === "transition" && e.event.guid === 2 && e.event.state === "FINISHED",
      ),
    ]);
    expect(evA.at(-1)!.data).toMatchObject({ type: "status", status: "FINISHED" });
    const runs = await client.runs.list.query();
    expect(runs.find((r) => r.runId === runB)!.status).toBe("RUNNING");
    // Each run's timeline holds its own resources only.
    const detailA = await client.runs.get.query({ runId: runA });
    const detailB = await client.runs.get.query({ runId: runB });
    expect(new Set(detailA.timeline.map((e) => e.guid))).toEqual(new Set([1]));
    expect(new Set(detailB.timeline.map((e) => e.guid))).toEqual(new Set([1, 2]));
    expect(detailB.startedAt).toBeLessThan(detailA.endedAt!);
    expect(evB.length).toBeGreaterThan(0);

    // Stop b: its endless task ends STOPPED.
    await client.runs.stop.mutate({ runId: runB });
    const stopped = await collectEvents(client, { runId: runB }, (e) =>
      e.type === "snapshot"
        ? e.resources.find((r) => r.guid === 1)?.state === "STOPPED"
        : e.type === "transition" && e.event.guid === 1 && e.event.state === "STOPPED",
    );
    expect(stopped.length).toBeGreaterThan(0);
    expect((await client.runs.get.query({ runId: runB })).status).toBe("STOPPED");
    await Promise.all([client.runs.release.mutate({ runId: runA }), client.runs.release.mutate({ runId: runB })]);
    expect((await client.runs.get.query({ runId: runB })).resources.every((r) => r.state === "RELEASED")).toBe(true);
  });

  it("is FINISHED once what ends by itself ended: a task with no duration, like a node, is settled once STARTED", async () => {
    const { client } = t;
    const { id } = await client.experiments.save.mutate({
      document: simDoc("settled", [{ guid: 1 }, { guid: 2, attributes: { duration: "20ms" } }]),
    });
    const { runId } = await client.runs.start.mutate({ experimentId: id });
    await waitForStatus(client, runId, (s) => s === "FINISHED");
    const run = await client.runs.get.query({ runId });
    expect(run.resources.map((r) => [r.guid, r.state])).toEqual([
      [1, "STARTED"],
      [2, "FINISHED"],
    ]);
    await client.runs.release.mutate({ runId });
  });

  it("stops a run while it deploys: resources still deploying stop as soon as they start", async () => {
    const { client } = t;
    const resources = Array.from({ length: 5 }, (_, i) => ({ guid: i + 1, attributes: { deployTime: `${100 + 50 * i}ms` } }));
    const { id } = await client.experiments.save.mutate({ document: simDoc("stop early", resources) });
    const { runId } = await client.runs.start.mutate({ experimentId: id });
    await client.runs.stop.mutate({ runId });
    let stopped = 0;
    const events = await collectEvents(
      client,
      { runId, lastEventId: "0" },
      (e) => e.type === "transition" && e.event.state === "STOPPED" && ++stopped === 5,
    );
    expect(events.find((e) => e.data.type === "status")!.data).toMatchObject({
      status: "STOPPED",
      reason: "stopped by the user",
    });
    const run = await client.runs.get.query({ runId });
    expect(run.resources.map((r) => r.state)).toEqual(["STOPPED", "STOPPED", "STOPPED", "STOPPED", "STOPPED"]);
    await client.runs.release.mutate({ runId });
  });

  it("marks a run FAILED with the reason when a critical resource fails, and releases it", async () => {
    const { client } = t;
    const { id } = await client.experiments.save.mutate({
      document: simDoc("fails", [
        { guid: 1, attributes: { failIn: "start" } },
        { guid: 2, attributes: { duration: "1s" } },
      ]),
    });
    const { runId } = await client.runs.start.mutate({ experimentId: id });
    // From event 0: the whole history, however fast the failure came.
    const events = await collectEvents(client, { runId, lastEventId: "0" }, (e) => e.type === "status" && e.status === "FAILED");
    const failed = events.at(-1)!.data;
    expect(failed).toMatchObject({ type: "status", status: "FAILED" });
    expect((failed as { reason?: string }).reason).toMatch(/1|fail/);
    // The stream ends once the controller has released everything.
    const rest = await collectEvents(client, { runId, lastEventId: events.at(-1)!.id });
    expect(
      rest.every(
        (e) =>
          (e.data.type === "transition" && e.data.event.state === "RELEASED") ||
          (e.data.type === "transition" && e.data.event.state === "FAILED"),
      ),
    ).toBe(true);
    const run = await client.runs.get.query({ runId });
    expect(run.status).toBe("FAILED");
    expect(run.releasedAt).toBeGreaterThan(0);
    expect(run.resources.find((r) => r.guid === 1)).toMatchObject({ state: "FAILED", reason: expect.any(String) });
  });
});

describe("runs of local linux resources through the API", () => {
  it("runs a linux::Application on localhost: events, live stdout, kept trace after release", async () => {
    const { client } = t;
    const { id } = await client.experiments.save.mutate({
      document: {
        format: "nepi-experiment@1",
        name: "hello",
        resources: [
          { guid: 1, type: "linux::Node", label: "host", attributes: { hostname: "localhost" } },
          {
            guid: 2,
            type: "linux::Application",
            label: "app",
            attributes: { command: "echo hello; sleep 0.3; echo bye" },
            traces: ["stdout"],
          },
        ],
        connections: [{ source: 2, target: 1 }],
      },
    });
    const { runId } = await client.runs.start.mutate({ experimentId: id });
    // The trace is followed live while the command runs (subscribed before it starts).
    const live = collectTrace(client, { runId, guid: 2, name: "stdout" }, (text) => text.includes("bye"));
    const events = await collectEvents(client, { runId, lastEventId: "0" }, (e) => e.type === "status" && e.status !== "RUNNING");
    expect(events.at(-1)!.data).toMatchObject({ type: "status", status: "FINISHED" });
    expect(
      transitions(events)
        .filter((e) => e.guid === 2)
        .map((e) => e.state),
    ).toEqual(LIFECYCLE);
    expect((await live).text).toBe("hello\nbye\n");
    // While the run is live, its kept copy grows with the trace (its own follower may be a
    // read behind this subscriber's).
    const liveTraces = (await client.runs.get.query({ runId })).traces;
    expect(liveTraces).toEqual([{ guid: 2, name: "stdout", size: expect.any(Number) }]);
    expect(liveTraces[0]!.size).toBeGreaterThanOrEqual("hello\n".length);

    await client.runs.release.mutate({ runId });
    const run = await client.runs.get.query({ runId });
    expect(run.status).toBe("RELEASED");
    expect(run.resources.map((r) => r.state)).toEqual(["RELEASED", "RELEASED"]);
    expect(run.traces).toEqual([{ guid: 2, name: "stdout", size: 10 }]);
    expect((await collectTrace(client, { runId, guid: 2, name: "stdout" })).text).toBe("hello\nbye\n");
  });

  it("keeps a binary trace byte for byte, downloadable over HTTP", async () => {
    const { client } = t;
    const { id } = await client.experiments.save.mutate({
      document: {
        format: "nepi-experiment@1",
        name: "binary",
        resources: [
          { guid: 1, type: "linux::Node", attributes: { hostname: "localhost" } },
          {
            guid: 2,
            type: "linux::Application",
            attributes: { command: "printf '\\000\\377\\376\\001abc' > out.bin" },
            traces: ["out.bin"],
          },
        ],
        connections: [{ source: 2, target: 1 }],
      },
    });
    const { runId } = await client.runs.start.mutate({ experimentId: id });
    await collectEvents(client, { runId, lastEventId: "0" }, (e) => e.type === "status" && e.status !== "RUNNING");
    await client.runs.release.mutate({ runId });
    expect((await client.runs.get.query({ runId })).traces).toEqual([{ guid: 2, name: "out.bin", size: 7 }]);
    const res = await fetch(`${t.server.url}files/runs/${runId}/traces/2/out.bin`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="2-out.bin"');
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([0, 255, 254, 1, 97, 98, 99]);
    expect((await fetch(`${t.server.url}files/runs/${runId}/traces/2/nope`)).status).toBe(404);
  });

  it("keeps with the run the traces its release could not collect, and sends them with the last status", async () => {
    const { client } = t;
    const { id } = await client.experiments.save.mutate({
      document: {
        format: "nepi-experiment@1",
        name: "missing-trace",
        resources: [
          { guid: 1, type: "linux::Node", attributes: { hostname: "localhost" } },
          // Its "out" trace is a directory: copying it fails.
          { guid: 2, type: "linux::Application", attributes: { command: "mkdir out; echo done" }, traces: ["stdout", "out"] },
        ],
        connections: [{ source: 2, target: 1 }],
      },
    });
    const { runId } = await client.runs.start.mutate({ experimentId: id });
    await collectEvents(client, { runId, lastEventId: "0" }, (e) => e.type === "status" && e.status !== "RUNNING");
    await client.runs.release.mutate({ runId });
    const missing = [{ guid: 2, name: "out", reason: expect.stringMatching(/^copying it from local failed: .*EISDIR/) }];
    expect((await client.runs.get.query({ runId })).missingTraces).toEqual(missing);
    const events = await collectEvents(
      client,
      { runId, lastEventId: "0" },
      (e) => e.type === "status" && e.status === "RELEASED",
    );
    expect((events.at(-1)!.data as { missingTraces?: unknown }).missingTraces).toEqual(missing);
  });

  it("reports a failing command's reason on the resource and the run", async () => {
    const { client } = t;
    const { id } = await client.experiments.save.mutate({
      document: {
        format: "nepi-experiment@1",
        name: "fails",
        resources: [
          { guid: 1, type: "linux::Node", attributes: { hostname: "localhost" } },
          { guid: 2, type: "linux::Application", attributes: { command: "echo broken >&2; exit 3" } },
        ],
        connections: [{ source: 2, target: 1 }],
      },
    });
    const { runId } = await client.runs.start.mutate({ experimentId: id });
    const events = await collectEvents(client, { runId, lastEventId: "0" }, (e) => e.type === "status" && e.status === "FAILED");
    // Replayed from the first event: every id from 1, in order.
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_e, i) => i + 1));
    expect((events.at(-1)!.data as { reason: string }).reason).toMatch(/exit code 3.*broken/);
    const run = await client.runs.get.query({ runId });
    expect(run.timeline.find((e) => e.guid === 2 && e.state === "FAILED")!.reason).toMatch(/exit code 3: broken/);
  });
});
