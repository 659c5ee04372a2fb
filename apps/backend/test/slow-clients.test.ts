import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import type { RunEvent, TraceChunk } from "@nepi/core";
import type { LogFields } from "../src/server/log.js";
import { collectEvents, collectTrace, queryStore, simDoc, startTestServer, waitForStatus, type TestServer } from "./helpers.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Answer {
  id: number;
  result?: { type: "started" | "data" | "stopped"; id?: string; data?: unknown };
  error?: { data?: { code?: string } };
}

/** A WebSocket speaking tRPC's protocol by hand, so that the test decides when it reads. */
async function rawClient(t: TestServer) {
  const ws = new WebSocket(`ws://127.0.0.1:${t.server.port}/trpc`);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const answers: Answer[] = [];
  ws.on("message", (d: Buffer) => answers.push(JSON.parse(d.toString()) as Answer));
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  cleanups.push(() => ws.terminate());
  const subscribe = (id: number, path: string, input: unknown) =>
    ws.send(JSON.stringify({ id, method: "subscription", params: { path, input } }));
  const answerTo = (id: number, ok: (a: Answer) => boolean) =>
    new Promise<Answer>((resolve) => {
      const check = () => {
        const a = answers.find((x) => x.id === id && ok(x));
        if (a) resolve(a);
        else ws.once("message", check);
      };
      check();
    });
  return { ws, answers, closed, subscribe, answerTo };
}

/** A finished run of `tasks` sim tasks (not released: its event streams stay open). */
async function finishedRun(t: TestServer, tasks: number, traces: string[] = []) {
  const resources = Array.from({ length: tasks }, (_, i) => ({ guid: i + 1, attributes: { duration: "1ms" }, traces }));
  const { id } = await t.client.experiments.save.mutate({ document: simDoc("many", resources) });
  const { runId } = await t.client.runs.start.mutate({ experimentId: id });
  await waitForStatus(t.client, runId, (s) => s === "FINISHED");
  return runId;
}

describe("a WebSocket connection", () => {
  it("holds a bounded number of subscriptions", async () => {
    const t = await startTestServer({ maxSubscriptionsPerConnection: 3 });
    cleanups.push(() => t.stop());
    const runId = await finishedRun(t, 2);
    const c = await rawClient(t);
    for (const id of [1, 2, 3, 4]) c.subscribe(id, "runs.events", { runId, lastEventId: "0" });
    for (const id of [1, 2, 3]) await c.answerTo(id, (a) => a.result?.type === "started");
    expect((await c.answerTo(4, (a) => !!a.error)).error?.data?.code).toBe("TOO_MANY_REQUESTS");
    // Ending one makes room for another.
    c.ws.send(JSON.stringify({ id: 1, method: "subscription.stop" }));
    await c.answerTo(1, (a) => a.result?.type === "stopped");
    c.subscribe(5, "runs.trace", { runId, guid: 1, name: "stdout" });
    expect(await c.answerTo(5, (a) => !!a.error || a.result?.type === "started")).not.toHaveProperty(
      "error.data.code",
      "TOO_MANY_REQUESTS",
    );
  });

  it("is cut when its client stops reading, and the client resumes after its last event id", async () => {
    const limit = 256 * 1024;
    let cut!: (fields: LogFields) => void;
    const wasCut = new Promise<LogFields>((resolve) => (cut = resolve));
    const t = await startTestServer({
      maxBufferedBytes: limit,
      log: (message, fields) => {
        if (/fell \d+ bytes behind/.test(message)) cut(fields ?? {});
      },
    });
    cleanups.push(() => t.stop());
    const runId = await finishedRun(t, 1500);
    const all = (
      await collectEvents(t.client, { runId, lastEventId: "0" }, (e) => e.type === "status" && e.status === "FINISHED")
    ).map((e) => e.id);

    // 20 subscriptions to the whole history, and the client reads nothing.
    const c = await rawClient(t);
    c.ws.pause();
    const subscriptions = Array.from({ length: 20 }, (_, i) => i + 1);
    for (const id of subscriptions) c.subscribe(id, "runs.events", { runId, lastEventId: "0" });
    const fields = await wasCut;
    // What was queued for it stayed within the limit (plus the message that crossed it).
    expect(fields.bufferedBytes).toBeGreaterThan(limit);
    expect(fields.bufferedBytes).toBeLessThan(limit + 64 * 1024);

    // It reads again: what had reached it, then the end of the connection.
    c.ws.resume();
    await c.closed;
    const before = new Map(
      subscriptions.map((id) => [
        id,
        c.answers.filter((a) => a.id === id && a.result?.type === "data").map((a) => a.result!.id!),
      ]),
    );
    const receivedBeforeCut = [...before.values()].reduce((n, ids) => n + ids.length, 0);
    expect(receivedBeforeCut).toBeLessThan(subscriptions.length * all.length);

    // Each subscription resumes after the last id it received: every event once, in order.
    for (const id of subscriptions) {
      const got = before.get(id)!;
      // (One that had received everything before the cut has nothing to resume.)
      const rest =
        got.at(-1) === all.at(-1)
          ? []
          : await collectEvents(
              t.client,
              { runId, lastEventId: got.at(-1) ?? "0" },
              (_e: RunEvent, seen) => seen.at(-1)!.id === all.at(-1),
            );
      expect({ id, ids: [...got, ...rest.map((e) => e.id)] }).toEqual({ id, ids: all });
    }
  });
});

describe("a kept trace", () => {
  async function keptTrace(t: TestServer) {
    const runId = await finishedRun(t, 1, ["stdout"]);
    await t.client.runs.release.mutate({ runId });
    const [{ path }] = (await queryStore<{ path: string }>(t, "SELECT path FROM run_traces WHERE run_id = ?", runId)) as [
      { path: string },
    ];
    return { runId, path };
  }

  it("is streamed as fast as the client reads it, whole and in order", async () => {
    const t = await startTestServer({ maxBufferedBytes: 256 * 1024 });
    cleanups.push(() => t.stop());
    const { runId, path } = await keptTrace(t);
    // 12 MB, with multi-byte characters across every chunk boundary.
    const line = "trace line é 日本 🚀 ".repeat(8) + "\n";
    const text = line.repeat(Math.ceil((12 * 1024 * 1024) / Buffer.byteLength(line)));
    writeFileSync(path, text);
    const got = await collectTrace(t.client, { runId, guid: 1, name: "stdout" });
    expect(got.text.length).toBe(text.length);
    expect(got.text === text).toBe(true);
    let offset = 0;
    for (const chunk of got.chunks) {
      expect(chunk.offset).toBe(offset);
      offset += Buffer.byteLength(chunk.data);
    }
    expect(got.chunks.at(-1)).toMatchObject({ end: true, offset: Buffer.byteLength(text) });
    // The server read the file as the client took it instead of queueing it all: never cut.
    expect(got.chunks.length).toBeGreaterThan(150);
    expect(t.logs.filter((l) => /behind/.test(l))).toEqual([]);
  });

  it("that cannot be read is an error, never an empty trace", async () => {
    const t = await startTestServer();
    cleanups.push(() => t.stop());
    const { runId, path } = await keptTrace(t);
    rmSync(path);
    mkdirSync(path);
    const chunks: TraceChunk[] = [];
    const error = await new Promise<Error>((resolve, reject) => {
      t.client.runs.trace.subscribe(
        { runId, guid: 1, name: "stdout" },
        {
          onData: (d) => chunks.push(d.data as TraceChunk),
          onError: resolve,
          onComplete: () => reject(new Error(`completed with ${JSON.stringify(chunks)}`)),
        },
      );
    });
    expect(error.message).toMatch(/trace "stdout" of resource 1 cannot be read \(EISDIR\)/);
    expect(chunks).toEqual([]);
    const download = await fetch(`${t.server.url}files/runs/${runId}/traces/1/stdout`);
    expect(download.status).toBe(500);
    expect(await download.text()).toMatch(/cannot be read \(EISDIR\)/);

    rmSync(path, { recursive: true });
    const missing = await new Promise<Error>((resolve, reject) => {
      t.client.runs.trace.subscribe(
        { runId, guid: 1, name: "stdout" },
        { onError: resolve, onComplete: () => reject(new Error("completed")) },
      );
    });
    expect(missing.message).toMatch(/cannot be read \(ENOENT\)/);
    expect((await fetch(`${t.server.url}files/runs/${runId}/traces/1/stdout`)).status).toBe(404);
  });
});
