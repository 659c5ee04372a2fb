import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simDoc, startTestServer, waitForStatus, type TestServer } from "./helpers.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

describe("runs in which non-critical resources failed", () => {
  it("end FINISHED_WITH_FAILURES with the failures named; Retry failed re-runs them in the same run", async () => {
    const { client } = t;
    const { id } = await client.experiments.save.mutate({
      document: simDoc("flaky", [
        { guid: 1, attributes: { duration: "10ms", failIn: "run", failAttempts: 1, critical: false } },
        { guid: 2, attributes: { duration: "10ms" } },
      ]),
    });
    const { runId } = await client.runs.start.mutate({ experimentId: id });
    await waitForStatus(client, runId, (s) => s === "FINISHED_WITH_FAILURES");
    const run = await client.runs.get.query({ runId });
    expect(run).toMatchObject({
      status: "FINISHED_WITH_FAILURES",
      reason: "1 non-critical resource failed: guid 1 (simulated failure while running (failIn=run))",
    });
    expect((await client.runs.list.query({ experimentId: id })).map((r) => r.status)).toEqual(["FINISHED_WITH_FAILURES"]);

    expect(await client.runs.retryFailed.mutate({ runId })).toEqual({ runId, guids: [1] });
    await waitForStatus(client, runId, (s) => s === "FINISHED");
    const after = await client.runs.get.query({ runId });
    expect(after.resources.map((r) => [r.guid, r.state])).toEqual([
      [1, "FINISHED"],
      [2, "FINISHED"],
    ]);
    // Guid 1 ran twice, guid 2 once: what went well was not run again.
    const starts = (g: number) => after.timeline.filter((e) => e.guid === g && e.state === "STARTED").length;
    expect([starts(1), starts(2)]).toEqual([2, 1]);
    expect(after.timeline.find((e) => e.guid === 1 && e.previous === "FAILED")).toMatchObject({ state: "READY", attempt: 2 });

    await expect(client.runs.retryFailed.mutate({ runId })).rejects.toThrow(
      /cannot retry failed resources of run ".*": it is FINISHED/,
    );
    await client.runs.release.mutate({ runId });
    await expect(client.runs.retryFailed.mutate({ runId })).rejects.toThrow(/it is RELEASED and released/);
  });

  it("keep FINISHED_WITH_FAILURES in the history once released", async () => {
    const { client } = t;
    const { id } = await client.experiments.save.mutate({
      document: simDoc("always fails", [
        { guid: 1, attributes: { duration: "10ms", failIn: "start", critical: false } },
        { guid: 2, attributes: { duration: "10ms" } },
      ]),
    });
    const { runId } = await client.runs.start.mutate({ experimentId: id });
    await waitForStatus(client, runId, (s) => s === "FINISHED_WITH_FAILURES");
    await client.runs.release.mutate({ runId });
    const [summary] = await client.runs.list.query({ experimentId: id });
    expect(summary).toMatchObject({ status: "FINISHED_WITH_FAILURES", releasedAt: expect.any(Number) });
    expect(summary!.reason).toMatch(/^1 non-critical resource failed: guid 1 \(start failed: simulated failure in start/);
  });

  it("a run whose failure was critical cannot retry", async () => {
    const { client } = t;
    const { id } = await client.experiments.save.mutate({
      document: simDoc("critical", [
        { guid: 1, attributes: { failIn: "start" } },
        { guid: 2, attributes: { duration: "1s" } },
      ]),
    });
    const { runId } = await client.runs.start.mutate({ experimentId: id });
    await waitForStatus(client, runId, (s) => s === "FAILED");
    await expect(client.runs.retryFailed.mutate({ runId })).rejects.toThrow(
      /cannot retry failed resources of run ".*": it is FAILED/,
    );
  });
});
