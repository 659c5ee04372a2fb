import { rmSync } from "node:fs";
import { join } from "node:path";
import { TRPCClientError } from "@trpc/client";
import type { CampaignEvent, ExperimentDocumentInput } from "@nepi/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectCampaignEvents, connect, startTestServer, tempDir, type TestServer } from "./helpers.js";
import { spawnServer } from "./spawn.js";

/** Two durations of a sim::Task × `count` runs, its duration as the metric. */
function sweepDoc(name: string, durations: string[], count = 3): ExperimentDocumentInput {
  return {
    format: "nepi-experiment@1",
    name,
    resources: [{ guid: 1, type: "sim::Task", label: "task", attributes: { duration: durations[0]! }, traces: [] }],
    campaign: {
      parameters: [{ resource: "task", attribute: "duration", values: durations }],
      repetitions: { count },
      metrics: [{ name: "took", resource: "task", extract: "duration" }],
    },
  };
}

/** A run of the campaign is under way (seen in the snapshot, when it started before the subscription). */
const runUnderWay = (e: CampaignEvent) =>
  (e.type === "run" && e.run.status === "running") ||
  (e.type === "snapshot" && e.campaign.runs.some((r) => r.status === "running"));
const ended = (e: CampaignEvent) => e.type === "status" || (e.type === "snapshot" && e.campaign.status !== "RUNNING");

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

describe("campaigns", () => {
  it("runs a saved design's sweep, each repetition a normal run; get, events and the CSV downloads agree", async () => {
    const { client } = t;
    const { id } = await client.experiments.save.mutate({ document: sweepDoc("sweep", ["50ms", "150ms"]) });
    const { campaignId } = await client.campaigns.start.mutate({ experimentId: id });
    const events = await collectCampaignEvents(client, { campaignId }, ended);
    expect(events[0]!.data.type).toBe("snapshot");
    expect(events.at(-1)!.data).toMatchObject({ type: "status", status: "FINISHED" });
    // Every run is seen starting (or under way in the snapshot), then ending.
    const snapshot = events[0]!.data as Extract<CampaignEvent, { type: "snapshot" }>;
    const runEvents = events.flatMap((e) => (e.data.type === "run" ? [e.data.run] : []));
    const seenRunning = [...snapshot.campaign.runs, ...runEvents].filter((r) => r.status === "running").map((r) => r.runId);
    expect(new Set(seenRunning).size).toBe(6);
    expect(runEvents.filter((r) => r.status === "ok")).toHaveLength(6 - snapshot.campaign.counts.ok);

    const c = await client.campaigns.get.query({ campaignId });
    expect(c).toMatchObject({
      status: "FINISHED",
      experimentId: id,
      parameters: ["task.duration"],
      metrics: ["took"],
      tracked: "took",
      points: 2,
      counts: { ok: 6, failed: 0, running: 0, stopped: 0 },
    });
    expect(c.runs.map((r) => [r.point, r.run, r.status])).toEqual([
      [1, 1, "ok"],
      [1, 2, "ok"],
      [1, 3, "ok"],
      [2, 1, "ok"],
      [2, 2, "ok"],
      [2, 3, "ok"],
    ]);
    expect(c.summary.map((s) => [s.parameters["task.duration"], s.metric, s.n, s.failed])).toEqual([
      ["50ms", "took", 3, 0],
      ["150ms", "took", 3, 0],
    ]);
    const [fast, slow] = c.summary;
    expect(fast!.mean).toBeGreaterThanOrEqual(50);
    expect(slow!.mean).toBeGreaterThanOrEqual(150);
    expect(slow!.mean).toBeGreaterThan(fast!.mean);
    expect(fast!.ciLow).toBeLessThanOrEqual(fast!.mean);
    expect(fast!.ciHigh).toBeGreaterThanOrEqual(fast!.mean);

    // Each campaign run is a normal run: listed with the experiment's runs, opened as any run.
    const listed = (await client.runs.list.query({ experimentId: id })).map((r) => r.runId);
    for (const r of c.runs) {
      expect(listed).toContain(r.runId);
      const run = await client.runs.get.query({ runId: r.runId });
      expect(run.status).toBe("RELEASED");
      expect(run.document.resources[0]!.attributes.duration).toBe(r.parameters["task.duration"]);
    }
    expect((await client.campaigns.list.query({ experimentId: id })).map((x) => x.campaignId)).toEqual([campaignId]);

    // Resuming after an event replays only what came after it.
    const third = events[3]!;
    const resumed = await collectCampaignEvents(client, { campaignId, lastEventId: third.id });
    expect(resumed.map((e) => e.id)).toEqual(events.slice(4).map((e) => e.id));

    const runsCsv = await fetch(`${t.server.url}files/campaigns/${campaignId}/runs.csv`);
    expect(runsCsv.status).toBe(200);
    expect(runsCsv.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = (await runsCsv.text()).trim().split("\n");
    expect(lines[0]).toBe("run,point,task.duration,took,status,reason");
    expect(lines).toHaveLength(7);
    expect(lines[1]).toMatch(/^1,1,50ms,\d+(\.\d+)?,ok,$/);
    const summaryCsv = (await (await fetch(`${t.server.url}files/campaigns/${campaignId}/summary.csv`)).text())
      .trim()
      .split("\n");
    expect(summaryCsv[0]).toBe("point,task.duration,metric,n,failed,mean,std,ciLow,ciHigh");
    expect(summaryCsv).toHaveLength(3);
    const summaryJson = (await (await fetch(`${t.server.url}files/campaigns/${campaignId}/summary.json`)).json()) as unknown;
    expect(summaryJson).toEqual(JSON.parse(JSON.stringify(c.summary)));
    const unknown = await fetch(`${t.server.url}files/campaigns/nope/runs.csv`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toMatch(/campaign "nope" does not exist/);
  });

  it("records a failed run, counts it apart and never averages it in", async () => {
    const counter = join(tempDir("nepi-campaign-counter-"), "n");
    // The second invocation fails; the others print value=<n>.
    const command = `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; [ $n -ne 2 ] || exit 3; echo value=$n`;
    const { campaignId } = await t.client.campaigns.start.mutate({
      document: {
        format: "nepi-experiment@1",
        name: "one fails",
        resources: [
          { guid: 1, type: "linux::Node", label: "host", attributes: { hostname: "localhost" } },
          { guid: 2, type: "linux::Application", label: "app", attributes: { command }, traces: ["stdout"] },
        ],
        connections: [{ source: 2, target: 1 }],
        campaign: {
          repetitions: { count: 3 },
          metrics: [{ name: "value", resource: "app", trace: "stdout", regex: "value=([0-9]+)" }],
        },
      },
    });
    await collectCampaignEvents(t.client, { campaignId }, ended);
    const c = await t.client.campaigns.get.query({ campaignId });
    expect(c.status).toBe("FINISHED_WITH_FAILURES");
    expect(c.runs.map((r) => r.status)).toEqual(["ok", "failed", "ok"]);
    expect(c.runs[1]!.reason).toMatch(/app \(guid 2\) failed/);
    expect(c.runs.map((r) => r.metrics.value)).toEqual([1, null, 3]);
    expect(c.summary).toEqual([expect.objectContaining({ metric: "value", n: 2, failed: 1, mean: 2 })]);
    // The failed run is a run like any other, with its reason.
    expect(await t.client.runs.get.query({ runId: c.runs[1]!.runId })).toMatchObject({
      status: "FAILED",
      reason: expect.stringMatching(/exit code 3/),
    });
  });

  it("stops: the run under way is released and not counted, no other starts", async () => {
    const { campaignId } = await t.client.campaigns.start.mutate({ document: sweepDoc("stopped", ["1h"], 5) });
    await collectCampaignEvents(t.client, { campaignId }, runUnderWay);
    await t.client.campaigns.stop.mutate({ campaignId });
    const c = await t.client.campaigns.get.query({ campaignId });
    expect(c).toMatchObject({ status: "STOPPED", reason: "stopped by the user", counts: { ok: 0, running: 0, stopped: 1 } });
    const run = await t.client.runs.get.query({ runId: c.runs[0]!.runId });
    expect(run.releasedAt).toBeDefined();
    await expect(t.client.campaigns.stop.mutate({ campaignId })).rejects.toThrow(/cannot stop campaign .*: it is STOPPED/);
  });

  it("resumes a stopped campaign with only the runs it lacks: every run once, the same event ids going on", async () => {
    const { campaignId } = await t.client.campaigns.start.mutate({ document: sweepDoc("resumed", ["30ms", "60ms"], 2) });
    const first = await collectCampaignEvents(t.client, { campaignId }, (e) => e.type === "run" && e.run.status === "ok");
    await t.client.campaigns.stop.mutate({ campaignId });
    const stopped = await t.client.campaigns.get.query({ campaignId });
    expect(stopped.status).toBe("STOPPED");
    const okBefore = stopped.runs.filter((r) => r.status === "ok").length;
    expect(okBefore).toBeGreaterThanOrEqual(1);
    expect(okBefore).toBeLessThan(4);

    // Two resumes at once: one goes on, the other is refused (one runner, every run once).
    const resumes = await Promise.allSettled([
      t.client.campaigns.resume.mutate({ campaignId }),
      t.client.campaigns.resume.mutate({ campaignId }),
    ]);
    expect(resumes.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(String((resumes.find((r) => r.status === "rejected") as PromiseRejectedResult).reason)).toMatch(
      /cannot resume campaign .*: it is (RUNNING|being resumed)/,
    );
    const after = await collectCampaignEvents(
      t.client,
      { campaignId, lastEventId: first.at(-1)!.id },
      (e) => e.type === "status" && e.status === "FINISHED",
    );
    // One stream of ids across the stop and the resume: the stop's status, RUNNING again, the rest, FINISHED.
    const ids = after.map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => Number(first.at(-1)!.id) + 1 + i));
    expect(
      after
        .map((e) => e.data)
        .filter((e) => e.type === "status")
        .map((e) => e.status),
    ).toEqual(["STOPPED", "RUNNING", "FINISHED"]);
    const c = await t.client.campaigns.get.query({ campaignId });
    const ok = c.runs.filter((r) => r.status === "ok").map((r) => `${r.point}/${r.run}`);
    expect(ok.sort()).toEqual(["1/1", "1/2", "2/1", "2/2"]);
    expect(c.summary.map((r) => r.n)).toEqual([2, 2]);
    await expect(t.client.campaigns.resume.mutate({ campaignId })).rejects.toThrow(
      /it is FINISHED \(it has every run it needs\)/,
    );
    const csv = (await (await fetch(`${t.server.url}files/campaigns/${campaignId}/runs.csv`)).text()).trim().split("\n");
    expect(csv).toHaveLength(5);
  });

  it("refuses malformed input with the field named", async () => {
    const problems = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TRPCClientError);
      const data = (err as { data?: { problems?: Array<{ path: string; message: string }> } }).data;
      return data?.problems ?? [];
    };
    expect(await problems(t.client.campaigns.start.mutate({}))).toEqual([
      expect.objectContaining({ path: "experimentId", message: expect.stringMatching(/either experimentId .* or document/) }),
    ]);
    const bad = sweepDoc("bad", ["1s"]);
    bad.campaign!.parameters![0]!.resource = "nobody";
    expect((await problems(t.client.campaigns.start.mutate({ document: bad }))).map((p) => p.path)).toEqual([
      "document.campaign.parameters[0].resource",
    ]);
    const { campaign: _none, ...plain } = sweepDoc("plain", ["1s"]);
    const { id } = await t.client.experiments.save.mutate({ document: plain });
    expect(await problems(t.client.campaigns.start.mutate({ experimentId: id }))).toEqual([
      expect.objectContaining({ path: "experimentId", message: expect.stringMatching(/has no campaign/) }),
    ]);
    await expect(t.client.campaigns.get.query({ campaignId: "nope" })).rejects.toThrow(/campaign "nope" does not exist/);
    await expect(collectCampaignEvents(t.client, { campaignId: "x", lastEventId: "abc" })).rejects.toThrow(
      /lastEventId: expected the id of an event/,
    );
  });
});

describe("campaigns across a restart", () => {
  it("a restarted server lists the finished campaign with its runs, and the interrupted one as INTERRUPTED", async () => {
    const dataDir = tempDir();
    const first = await startTestServer({ dataDir });
    const { campaignId: done } = await first.client.campaigns.start.mutate({ document: sweepDoc("kept", ["10ms", "20ms"], 2) });
    await collectCampaignEvents(first.client, { campaignId: done }, ended);
    const { campaignId: cut } = await first.client.campaigns.start.mutate({ document: sweepDoc("cut", ["1h"], 2) });
    await collectCampaignEvents(first.client, { campaignId: cut }, runUnderWay);
    const before = await first.client.campaigns.get.query({ campaignId: done });
    await first.server.close();

    const second = await startTestServer({ dataDir });
    try {
      const list = await second.client.campaigns.list.query();
      expect(list.map((c) => [c.campaignId, c.status])).toEqual([
        [cut, "INTERRUPTED"],
        [done, "FINISHED"],
      ]);
      expect(await second.client.campaigns.get.query({ campaignId: done })).toEqual(before);
      const interrupted = await second.client.campaigns.get.query({ campaignId: cut });
      expect(interrupted).toMatchObject({ reason: "the server shut down", counts: { stopped: 1, running: 0 } });
      // Its events end with that status, for a subscriber resuming after the restart.
      const events = await collectCampaignEvents(second.client, { campaignId: cut, lastEventId: "0" });
      expect(events.at(-1)!.data).toMatchObject({ type: "status", status: "INTERRUPTED" });
      // The restarted server resumes it: its first run again (the one cut was not counted).
      await second.client.campaigns.resume.mutate({ campaignId: cut });
      await collectCampaignEvents(second.client, { campaignId: cut }, runUnderWay);
      const resumed = await second.client.campaigns.get.query({ campaignId: cut });
      expect(resumed.runs.map((r) => [r.point, r.run, r.status])).toEqual([
        [1, 1, "stopped"],
        [1, 1, "running"],
      ]);
      await second.client.campaigns.stop.mutate({ campaignId: cut });
    } finally {
      await second.stop();
    }
  });

  it("after SIGKILL, the campaign that was running is INTERRUPTED, its run under way stopped (and that run INTERRUPTED)", async () => {
    const dataDir = tempDir();
    const first = await spawnServer(dataDir);
    const a = connect(first.url);
    const { campaignId } = await a.client.campaigns.start.mutate({ document: sweepDoc("killed", ["1h"], 2) });
    await collectCampaignEvents(a.client, { campaignId }, runUnderWay);
    a.close();
    first.proc.kill("SIGKILL");
    await first.exited;

    const second = await spawnServer(dataDir);
    const b = connect(second.url);
    try {
      const c = await b.client.campaigns.get.query({ campaignId });
      expect(c).toMatchObject({ status: "INTERRUPTED", reason: expect.stringMatching(/server stopped/), counts: { stopped: 1 } });
      expect((await b.client.runs.get.query({ runId: c.runs[0]!.runId })).status).toBe("INTERRUPTED");
      expect(second.lines.join("\n")).toMatch(new RegExp(`campaign ${campaignId} was interrupted`));
    } finally {
      b.close();
      second.proc.kill("SIGTERM");
      await second.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
