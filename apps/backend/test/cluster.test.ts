import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CampaignEvent, ExperimentDocumentInput, RunEvent } from "@nepi/core";
import { startPrivatePostgres, type PrivatePostgres } from "../src/dev/private-postgres.js";
import {
  collectCampaignEvents,
  collectEvents,
  connect,
  simDoc,
  startTestServer,
  tempDir,
  waitForStatus,
  type Client,
  type Tracked,
} from "./helpers.js";
import { messageOf } from "./spawn.js";

const BIN = fileURLToPath(new URL("../bin/nepi.js", import.meta.url));

let cluster: PrivatePostgres;
let databases = 0;
beforeAll(async () => {
  cluster = await startPrivatePostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A new database in the private cluster, and a data directory, for one deployment. */
async function deployment(): Promise<{ url: string; dataDir: string }> {
  const name = `cluster_${++databases}`;
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const dataDir = tempDir("nepi-cluster-");
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  return { url: cluster.urlOf(name), dataDir };
}

interface NepiProcess {
  proc: ChildProcess;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `nepi <args>` until a line it prints matches `ready`; killed after the test. */
async function nepi(args: string[], ready: RegExp): Promise<NepiProcess & { match: RegExpExecArray }> {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once("exit", (code, signal) => resolve({ code, signal })),
  );
  cleanups.push(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGKILL");
      await exited;
    }
  });
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    let buffered = "";
    const onData = (data: Buffer) => {
      buffered += data.toString("utf8");
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        const m = ready.exec(messageOf(line));
        if (m) resolve(m);
      }
    };
    proc.stdout!.on("data", onData);
    proc.stderr!.on("data", onData);
    void exited.then(({ code }) => reject(new Error(`nepi ${args[0]} exited (${code}):\n${lines.join("\n")}`)));
  });
  return { proc, lines, exited, match };
}

async function serve(d: { url: string; dataDir: string }): Promise<{ client: Client; url: string } & NepiProcess> {
  const p = await nepi(
    ["serve", "--database", d.url, "--port", "0", "--host", "127.0.0.1", "--data", d.dataDir],
    /listening on (http:\/\/\S+\/)/,
  );
  const url = p.match[1]!;
  const { client, close } = connect(url);
  cleanups.push(close);
  return { ...p, client, url };
}

function worker(d: { url: string; dataDir: string }): Promise<NepiProcess & { id: string }> {
  return nepi(["worker", "--database", d.url, "--data", d.dataDir], /^worker (\S+) is taking runs/).then((p) => ({
    ...p,
    id: p.match[1]!,
  }));
}

const isEnd = (e: RunEvent) => (e.type === "status" || e.type === "snapshot") && e.status === "FINISHED";

/** What a run did, without its times and ids: each resource's transitions, and the run's statuses. */
function story(events: Tracked<RunEvent>[]) {
  const byGuid = new Map<number, string[]>();
  const statuses: string[] = [];
  for (const { data: e } of events) {
    if (e.type === "transition")
      byGuid.set(e.event.guid, [...(byGuid.get(e.event.guid) ?? []), `${e.event.previous}>${e.event.state}`]);
    if (e.type === "status") statuses.push(e.status);
  }
  return { transitions: Object.fromEntries([...byGuid].sort(([a], [b]) => a - b)), statuses };
}

/** The processes on this machine carrying the run's marker (NEPI_RUN=<runId> in their environment). */
function processesOfRun(runId: string): number[] {
  const marker = `NEPI_RUN=${runId}`;
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        const alive = !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
        return alive && readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const chain = simDoc(
  "chain",
  Array.from({ length: 30 }, (_, i) => ({ guid: i + 1, attributes: { duration: `${5 + (i % 7)}ms` }, traces: ["stdout"] })),
  { conditions: [{ group: [2, 3], action: "START", after: [1], state: "FINISHED", delay: "20ms" }] },
);

describe("runs on workers over PostgreSQL", () => {
  it("a run through nepi serve and two nepi workers goes as it does in one npm start process", async () => {
    // In one process (embedded SQLite, in-process worker).
    const local = await startTestServer({ databaseUrl: undefined, dataDir: tempDir() });
    cleanups.push(() => local.stop());
    const { id: localId } = await local.client.experiments.save.mutate({ document: chain });
    const { runId: localRun } = await local.client.runs.start.mutate({ experimentId: localId });
    const localEvents = await collectEvents(local.client, { runId: localRun, lastEventId: "0" }, isEnd);
    const localDetail = await local.client.runs.get.query({ runId: localRun });

    const d = await deployment();
    const api = await serve(d);
    await Promise.all([worker(d), worker(d)]);
    const { id } = await api.client.experiments.save.mutate({ document: chain });
    const { runId } = await api.client.runs.start.mutate({ experimentId: id });
    const events = await collectEvents(api.client, { runId, lastEventId: "0" }, isEnd);

    // Every event once, in order, from the first.
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1));
    expect(story(events)).toEqual(story(localEvents));
    const detail = await api.client.runs.get.query({ runId });
    expect(detail.status).toBe("FINISHED");
    expect(detail.resources.map((r) => [r.guid, r.state])).toEqual(localDetail.resources.map((r) => [r.guid, r.state]));
    const nonZero = (counts: Record<string, number>) => Object.entries(counts).filter(([, n]) => n > 0);
    expect(nonZero(detail.counts)).toEqual(nonZero(localDetail.counts));
    expect(detail.timeline).toHaveLength(localDetail.timeline.length);
    // The condition held across processes: 2 and 3 started 20 ms after 1 finished.
    const finished1 = detail.timeline.find((e) => e.guid === 1 && e.state === "FINISHED")!.at;
    for (const g of [2, 3])
      expect(detail.timeline.find((e) => e.guid === g && e.state === "STARTED")!.at - finished1).toBeGreaterThanOrEqual(19);

    // Release from the API server reaches the worker holding the run; the stream ends released.
    const watching = collectEvents(api.client, { runId });
    await api.client.runs.release.mutate({ runId });
    const end = await watching;
    expect(end.at(-1)!.data).toMatchObject({ type: "status", status: "RELEASED", reason: "released by the user" });
    const released = await api.client.runs.get.query({ runId });
    expect(released.resources.every((r) => r.state === "RELEASED")).toBe(true);
    expect(released.traces).toHaveLength(30);
    await expect(api.client.runs.stop.mutate({ runId })).rejects.toThrow(/it is RELEASED and released/);
  });

  it("two API servers, one subscriber on each: the same events", async () => {
    const d = await deployment();
    const [a, b] = await Promise.all([serve(d), serve(d)]);
    await worker(d);
    const endless = simDoc("endless", [
      { guid: 1, attributes: { duration: "1h" } },
      { guid: 2, attributes: { duration: "30ms" } },
    ]);
    const { id } = await a.client.experiments.save.mutate({ document: endless });
    const { runId } = await a.client.runs.start.mutate({ experimentId: id });
    const onA = collectEvents(a.client, { runId, lastEventId: "0" });
    const onB = collectEvents(b.client, { runId, lastEventId: "0" });
    // Stopped through b, released through a: both streams see it all, to the end.
    await collectEvents(
      b.client,
      { runId, lastEventId: "0" },
      (e) => e.type === "transition" && e.event.guid === 2 && e.event.state === "FINISHED",
    );
    await b.client.runs.stop.mutate({ runId });
    await a.client.runs.release.mutate({ runId });
    const [seenA, seenB] = await Promise.all([onA, onB]);
    expect(seenA.map((e) => e.id)).toEqual(seenA.map((_, i) => String(i + 1)));
    expect(seenB).toEqual(seenA);
    expect(seenA.filter((e) => e.data.type === "status").map((e) => (e.data as { status: string }).status)).toEqual([
      "STOPPED",
      "RELEASED",
    ]);
  });

  it("a worker stopped with SIGTERM takes no more runs and releases the one it holds; a run queued meanwhile waits for the next worker", async () => {
    const d = await deployment();
    const api = await serve(d);
    const first = await worker(d);
    const endless = simDoc("endless", [{ guid: 1, attributes: { duration: "1h" } }]);
    const { id } = await api.client.experiments.save.mutate({ document: endless });
    const { runId } = await api.client.runs.start.mutate({ experimentId: id });
    const seen = collectEvents(api.client, { runId, lastEventId: "0" });
    await collectEvents(api.client, { runId, lastEventId: "0" }, (e) => e.type === "transition" && e.event.state === "STARTED");
    first.proc.kill("SIGTERM");
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect((await seen).at(-1)!.data).toMatchObject({
      type: "status",
      status: "RELEASED",
      reason: "released when its worker shut down",
    });

    // A run started now waits for a worker, and the next one to come takes it.
    const next = await api.client.runs.start.mutate({ experimentId: id });
    await worker(d);
    await collectEvents(
      api.client,
      { runId: next.runId, lastEventId: "0" },
      (e) => e.type === "transition" && e.event.state === "STARTED",
    );
    await api.client.runs.release.mutate({ runId: next.runId });
    expect((await api.client.runs.get.query({ runId: next.runId })).status).toBe("RELEASED");
  });

  it("a worker killed mid-run: INTERRUPTED within 15 s, and the other worker ends what it left on the host", async () => {
    const d = await deployment();
    const api = await serve(d);
    const workers = await Promise.all([worker(d), worker(d)]);
    const { id } = await api.client.experiments.save.mutate({
      document: {
        format: "nepi-experiment@1",
        name: "sleeper",
        resources: [
          { guid: 1, type: "linux::Node", attributes: { hostname: "localhost" } },
          { guid: 2, type: "linux::Application", attributes: { command: "sleep 300" } },
        ],
        connections: [{ source: 2, target: 1 }],
      },
    });
    const { runId } = await api.client.runs.start.mutate({ experimentId: id });
    cleanups.push(() => {
      for (const pid of processesOfRun(runId)) process.kill(pid, "SIGKILL");
    });
    await collectEvents(
      api.client,
      { runId, lastEventId: "0" },
      (e) => e.type === "transition" && e.event.guid === 2 && e.event.state === "STARTED",
    );
    expect(
      processesOfRun(runId).map((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim()),
    ).toContain("sleep 300");

    // Kill the worker holding the run.
    const db = new pg.Client({ connectionString: d.url });
    await db.connect();
    const holder = (await db.query<{ worker_id: string }>("SELECT worker_id FROM runs WHERE id = $1", [runId])).rows[0]!
      .worker_id;
    await db.end();
    const victim = workers.find((w) => w.id === holder)!;
    const survivor = workers.find((w) => w !== victim)!;
    const killedAt = Date.now();
    victim.proc.kill("SIGKILL");
    await victim.exited;

    // Its stream says INTERRUPTED (then ends: no controller has the run any more).
    const seen = await collectEvents(
      api.client,
      { runId, lastEventId: "0" },
      (e) => e.type === "status" && e.status === "INTERRUPTED",
    );
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    const interrupted = seen.at(-1)!.data as Extract<RunEvent, { type: "status" }>;
    expect(interrupted.reason).toMatch(
      new RegExp(`^worker ${holder} .*stopped while the run was RUNNING; 2 resource\\(s\\) were left deployed on localhost`),
    );

    // The other worker cleans it up by itself: RELEASED, and no process of the run is left.
    const cleaned = await collectEvents(
      api.client,
      { runId, lastEventId: seen.at(-1)!.id },
      (e) => e.type === "status" && e.status === "RELEASED",
    );
    expect(cleaned.at(-1)!.data).toMatchObject({ type: "status", status: "RELEASED" });
    const run = await api.client.runs.get.query({ runId });
    expect(run.reason).toMatch(/ — cleaned up: 2 resource\(s\) released/);
    expect(run.resources.map((r) => r.state)).toEqual(["RELEASED", "RELEASED"]);
    expect(processesOfRun(runId)).toEqual([]);
    expect(survivor.lines.map(messageOf).join("\n")).toMatch(new RegExp(`run ${runId} cleaned up`));
  });
});

/** A sim::Task at each of `durations` × `count` runs, its duration as the metric. */
function sweep(name: string, durations: string[], count: number): ExperimentDocumentInput {
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

const campaignEnded = (e: CampaignEvent) => e.type === "status" && e.status !== "RUNNING";
const runStarted = (e: CampaignEvent) => e.type === "run" && e.run.status === "running";

/** Reads one column of the deployment's database. */
async function column<T>(d: { url: string }, query: string, ...params: unknown[]): Promise<T[]> {
  const db = new pg.Client({ connectionString: d.url });
  await db.connect();
  try {
    return (await db.query<{ v: T }>(query, params)).rows.map((r) => r.v);
  } finally {
    await db.end();
  }
}

describe("campaigns on workers over PostgreSQL", () => {
  it("a campaign through nepi serve runs on a worker, its runs held there; subscribers on two API servers see the same events", async () => {
    const d = await deployment();
    const [a, b] = await Promise.all([serve(d), serve(d)]);
    const w = await worker(d);
    const { id } = await a.client.experiments.save.mutate({ document: sweep("sweep", ["20ms", "80ms"], 2) });
    const { campaignId } = await a.client.campaigns.start.mutate({ experimentId: id });
    const [seenA, seenB] = await Promise.all([
      collectCampaignEvents(a.client, { campaignId, lastEventId: "0" }, campaignEnded),
      collectCampaignEvents(b.client, { campaignId, lastEventId: "0" }, campaignEnded),
    ]);
    // Every event once, in order, from the first; the same on both servers.
    expect(seenA.map((e) => e.id)).toEqual(seenA.map((_, i) => String(i + 1)));
    expect(seenB).toEqual(seenA);
    expect(seenA.at(-1)!.data).toMatchObject({ type: "status", status: "FINISHED" });
    // Each run seen starting, then ending ok: 4 runs, 8 run events.
    expect(seenA.filter((e) => e.data.type === "run").map((e) => (e.data as { run: { status: string } }).run.status)).toEqual([
      "running",
      "ok",
      "running",
      "ok",
      "running",
      "ok",
      "running",
      "ok",
    ]);

    const c = await b.client.campaigns.get.query({ campaignId });
    expect(c).toMatchObject({ status: "FINISHED", counts: { ok: 4, failed: 0, running: 0, stopped: 0 } });
    const [fast, slow] = c.summary;
    expect(fast!.mean).toBeGreaterThanOrEqual(20);
    expect(slow!.mean).toBeGreaterThan(fast!.mean);
    // Its runs are normal runs the worker held, released.
    const runIds = c.runs.map((r) => r.runId);
    expect(await column(d, "SELECT worker_id AS v FROM runs WHERE id = ANY($1)", runIds)).toEqual(runIds.map(() => w.id));
    for (const runId of runIds) expect((await a.client.runs.get.query({ runId })).status).toBe("RELEASED");
    expect(w.lines.map(messageOf).join("\n")).toMatch(new RegExp(`campaign ${campaignId} taken by worker ${w.id}`));
    // The tables the worker wrote, downloaded from an API server.
    const csv = (await (await fetch(`${a.url}files/campaigns/${campaignId}/runs.csv`)).text()).trim().split("\n");
    expect(csv[0]).toBe("run,point,task.duration,took,status,reason");
    expect(csv).toHaveLength(5);
  });

  it("a worker killed mid-campaign: INTERRUPTED within 15 s, its run cleaned up by the other; resumed there, and stopped from the API server", async () => {
    const d = await deployment();
    const api = await serve(d);
    const workers = await Promise.all([worker(d), worker(d)]);
    const { campaignId } = await api.client.campaigns.start.mutate({ document: sweep("endless", ["1h"], 2) });
    const first = await collectCampaignEvents(api.client, { campaignId, lastEventId: "0" }, runStarted);
    const cut = (first.at(-1)!.data as Extract<CampaignEvent, { type: "run" }>).run.runId;
    const [holder] = await column<string>(d, "SELECT worker_id AS v FROM campaigns WHERE id = $1", campaignId);
    const victim = workers.find((w) => w.id === holder)!;
    const survivor = workers.find((w) => w !== victim)!;
    const killedAt = Date.now();
    victim.proc.kill("SIGKILL");
    await victim.exited;

    const seen = await collectCampaignEvents(api.client, { campaignId, lastEventId: first.at(-1)!.id }, campaignEnded);
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect(seen.at(-1)!.data).toMatchObject({
      type: "status",
      status: "INTERRUPTED",
      reason: expect.stringMatching(new RegExp(`^worker ${holder} .*stopped while the campaign was running`)),
    });
    // Its run under way: interrupted, then released by the other worker.
    await waitForStatus(api.client, cut, (s) => s === "RELEASED");
    expect((await api.client.runs.get.query({ runId: cut })).reason).toMatch(/ — cleaned up: 1 resource\(s\) released/);

    // Resumed: the survivor takes it and runs the repetition that was cut again.
    await api.client.campaigns.resume.mutate({ campaignId });
    const again = await collectCampaignEvents(api.client, { campaignId, lastEventId: seen.at(-1)!.id }, runStarted);
    expect(again[0]!.data).toMatchObject({ type: "status", status: "RUNNING" });
    const resumedRun = (again.at(-1)!.data as Extract<CampaignEvent, { type: "run" }>).run;
    expect(resumedRun).toMatchObject({ point: 1, run: 1 });
    expect(await column(d, "SELECT worker_id AS v FROM campaigns WHERE id = $1", campaignId)).toEqual([survivor.id]);

    // Stopped through the API server: the worker running it releases its run and ends it STOPPED.
    await api.client.campaigns.stop.mutate({ campaignId });
    const c = await api.client.campaigns.get.query({ campaignId });
    expect(c).toMatchObject({ status: "STOPPED", reason: "stopped by the user", counts: { ok: 0, running: 0, stopped: 2 } });
    expect((await api.client.runs.get.query({ runId: resumedRun.runId })).releasedAt).toBeDefined();
    await expect(api.client.campaigns.stop.mutate({ campaignId })).rejects.toThrow(/cannot stop campaign .*: it is STOPPED/);
  });

  it("a worker stopped with SIGTERM releases its campaign's run and leaves the campaign INTERRUPTED, for the next worker to resume", async () => {
    const d = await deployment();
    const api = await serve(d);
    const first = await worker(d);
    const { campaignId } = await api.client.campaigns.start.mutate({ document: sweep("endless", ["1h"], 1) });
    const started = await collectCampaignEvents(api.client, { campaignId, lastEventId: "0" }, runStarted);
    const cut = (started.at(-1)!.data as Extract<CampaignEvent, { type: "run" }>).run.runId;
    first.proc.kill("SIGTERM");
    expect(await first.exited).toEqual({ code: 0, signal: null });
    const seen = await collectCampaignEvents(api.client, { campaignId, lastEventId: started.at(-1)!.id }, campaignEnded);
    expect(seen.at(-1)!.data).toMatchObject({ type: "status", status: "INTERRUPTED", reason: "its worker shut down" });
    expect(await api.client.runs.get.query({ runId: cut })).toMatchObject({
      status: "RELEASED",
      reason: "released: its campaign was stopped",
    });

    await api.client.campaigns.resume.mutate({ campaignId });
    await expect(api.client.campaigns.resume.mutate({ campaignId })).rejects.toThrow(/cannot resume campaign .*: it is RUNNING/);
    const next = await worker(d);
    await collectCampaignEvents(api.client, { campaignId, lastEventId: seen.at(-1)!.id }, runStarted);
    expect(await column(d, "SELECT worker_id AS v FROM campaigns WHERE id = $1", campaignId)).toEqual([next.id]);
    await api.client.campaigns.stop.mutate({ campaignId });
    expect((await api.client.campaigns.get.query({ campaignId })).status).toBe("STOPPED");
  });
});
