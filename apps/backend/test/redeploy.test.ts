import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent, StateEvent } from "@nepi/core";
import { collectEvents, collectTrace, simDoc, startTestServer, waitForStatus, type TestServer, type Tracked } from "./helpers.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

function transitions(events: Array<{ data: RunEvent }>, guid: number): string[] {
  return events.flatMap((e) => (e.data.type === "transition" && e.data.event.guid === guid ? [e.data.event.state] : []));
}
/** Until `guid` has reached `state` for the `n`th time. */
function reached(guid: number, state: string, n = 1): (e: RunEvent, all: Tracked<RunEvent>[]) => boolean {
  return (_e, all) =>
    all.filter((x) => x.data.type === "transition" && (x.data.event as StateEvent).guid === guid && x.data.event.state === state)
      .length >= n;
}
function errorData(err: unknown): { code?: string; nepiCode?: string; problems?: Array<{ path: string; message: string }> } {
  return (err as { data?: Record<string, never> }).data ?? {};
}

describe("deploy part of a design", () => {
  it("deploys only the guids given: the others stay NEW, and the run finishes without them", async () => {
    const { client } = t;
    const { id } = await client.experiments.save.mutate({
      document: simDoc("part", [
        { guid: 1, attributes: { duration: "20ms" } },
        { guid: 2, attributes: { duration: "20ms" } },
      ]),
    });
    const { runId } = await client.runs.start.mutate({ experimentId: id, guids: [1] });
    await waitForStatus(client, runId, (s) => s === "FINISHED");
    const run = await client.runs.get.query({ runId });
    expect(run.resources.map((r) => [r.guid, r.state])).toEqual([
      [1, "FINISHED"],
      [2, "NEW"],
    ]);
    expect(run.timeline.every((e) => e.guid === 1)).toBe(true);
    await client.runs.release.mutate({ runId });
    const released = await client.runs.get.query({ runId });
    expect(released.resources.map((r) => [r.guid, r.state])).toEqual([
      [1, "RELEASED"],
      [2, "NEW"],
    ]);
  });

  it("refuses a guid the design does not have, naming the field, and records no run", async () => {
    const { client } = t;
    const { id } = await client.experiments.save.mutate({ document: simDoc("unknown guid", [{ guid: 1 }, { guid: 2 }]) });
    const before = (await client.runs.list.query({ experimentId: id })).length;
    const err = await client.runs.start.mutate({ experimentId: id, guids: [2, 7] }).catch((e: unknown) => e);
    expect(errorData(err)).toMatchObject({ code: "BAD_REQUEST", nepiCode: "UNKNOWN_GUID" });
    expect(errorData(err).problems).toEqual([
      { path: "guids[1]", message: "guids[1]: no resource of the design has guid 7 (known: 1, 2)", code: "UNKNOWN_GUID" },
    ]);
    const empty = await client.runs.start.mutate({ experimentId: id, guids: [] }).catch((e: unknown) => e);
    expect(errorData(empty).problems?.[0]).toMatchObject({ path: "guids", message: "expected at least one guid" });
    expect((await client.runs.list.query({ experimentId: id })).length).toBe(before);
  });
});

describe("redeploy one resource of a running run", () => {
  it("takes a FINISHED run back to RUNNING, then FINISHED again once the resource has ended again", async () => {
    const { client } = t;
    const { id } = await client.experiments.save.mutate({
      document: simDoc("again", [{ guid: 1 }, { guid: 2, attributes: { duration: "30ms" } }]),
    });
    const { runId } = await client.runs.start.mutate({ experimentId: id });
    await waitForStatus(client, runId, (s) => s === "FINISHED");
    await client.runs.redeploy.mutate({ runId, guid: 2 });
    const events = await collectEvents(
      client,
      { runId, lastEventId: "0" },
      (e, all) => reached(2, "FINISHED", 2)(e, all) && e.type === "status",
    );
    expect(transitions(events, 2)).toEqual([
      "DISCOVERED",
      "PROVISIONED",
      "READY",
      "STARTED",
      "FINISHED",
      "RELEASED",
      "NEW",
      "DISCOVERED",
      "PROVISIONED",
      "READY",
      "STARTED",
      "FINISHED",
    ]);
    expect(transitions(events, 1)).toEqual(["DISCOVERED", "PROVISIONED", "READY", "STARTED"]);
    const statuses = events.flatMap((e) => (e.data.type === "status" ? [e.data.status] : []));
    expect(statuses).toEqual(["FINISHED", "RUNNING", "FINISHED"]);
    await client.runs.release.mutate({ runId });
  });

  it("refuses a resource never deployed, an unknown guid and a released run, saying why", async () => {
    const { client } = t;
    const { id } = await client.experiments.save.mutate({ document: simDoc("refusals", [{ guid: 1 }, { guid: 2 }]) });
    const { runId } = await client.runs.start.mutate({ experimentId: id, guids: [1] });
    await waitForStatus(client, runId, (s) => s === "FINISHED");
    const never = await client.runs.redeploy.mutate({ runId, guid: 2 }).catch((e: unknown) => e);
    expect(errorData(never)).toMatchObject({ code: "CONFLICT", nepiCode: "WRONG_STATE" });
    expect((never as Error).message).toBe("redeploy: guid 2 (sim::Task) is not deployed: deploy it instead");
    const unknown = await client.runs.redeploy.mutate({ runId, guid: 9 }).catch((e: unknown) => e);
    expect(errorData(unknown)).toMatchObject({ code: "BAD_REQUEST", nepiCode: "UNKNOWN_GUID" });
    expect(errorData(unknown).problems?.[0]?.path).toBe("guid");
    await client.runs.release.mutate({ runId });
    const gone = await client.runs.redeploy.mutate({ runId, guid: 1 }).catch((e: unknown) => e);
    expect(errorData(gone)).toMatchObject({ code: "CONFLICT" });
    expect((gone as Error).message).toMatch(/cannot redeploy a resource of run ".*": it is RELEASED and released/);
  });

  it("redeploys a linux application on localhost: its node keeps running, its kept trace is the new run's", async () => {
    const { client } = t;
    const count = "$APP_HOME/count";
    const { id } = await client.experiments.save.mutate({
      document: {
        format: "nepi-experiment@1",
        name: "redeploy app",
        resources: [
          { guid: 1, type: "linux::Node", attributes: { hostname: "localhost" } },
          {
            guid: 2,
            type: "linux::Application",
            attributes: {
              command: `n=$(( $(cat ${count} 2>/dev/null || echo 0) + 1 )); echo $n > ${count}; echo instance $n; exec sleep 600`,
            },
            traces: ["stdout"],
          },
        ],
        connections: [{ source: 2, target: 1 }],
      },
    });
    const { runId } = await client.runs.start.mutate({ experimentId: id });
    const first = await collectTrace(client, { runId, guid: 2, name: "stdout" }, (text) => text.includes("instance 1\n"));
    expect(first.text).toBe("instance 1\n");
    await client.runs.redeploy.mutate({ runId, guid: 2 });
    const events = await collectEvents(client, { runId, lastEventId: "0" }, reached(2, "STARTED", 2));
    expect(transitions(events, 2).slice(4)).toEqual(["RELEASED", "NEW", "DISCOVERED", "PROVISIONED", "READY", "STARTED"]);
    expect(transitions(events, 1)).toEqual(["DISCOVERED", "PROVISIONED", "READY", "STARTED"]);
    const second = await collectTrace(client, { runId, guid: 2, name: "stdout" }, (text) => text.includes("instance 2\n"));
    expect(second.text).toBe("instance 2\n");
    await client.runs.release.mutate({ runId });
    const kept = await collectTrace(client, { runId, guid: 2, name: "stdout" });
    expect(kept.text).toBe("instance 2\n");
    const run = await client.runs.get.query({ runId });
    expect(run.resources.map((r) => [r.guid, r.state])).toEqual([
      [1, "RELEASED"],
      [2, "RELEASED"],
    ]);
  });
});
