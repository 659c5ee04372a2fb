import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { simDoc, startTestServer, tempDir } from "./helpers.js";

describe("the server", () => {
  it("seeds the examples on first start only, skipping invalid ones with a reason", async () => {
    const examples = tempDir("nepi-examples-");
    writeFileSync(
      join(examples, "a-good.json"),
      JSON.stringify(simDoc("good example", [{ guid: 1, attributes: { duration: "1s" } }])),
    );
    writeFileSync(
      join(examples, "b-bad.json"),
      JSON.stringify({ format: "nepi-experiment@1", name: "bad", resources: [{ guid: "one", type: "sim::Task" }] }),
    );
    writeFileSync(join(examples, "c-broken.json"), "{ not json");
    writeFileSync(join(examples, "notes.txt"), "not an experiment");
    const dataDir = tempDir();
    try {
      const first = await startTestServer({ dataDir, examplesDir: examples });
      const list = await first.client.experiments.list.query();
      expect(list.map((e) => e.name)).toEqual(["good example"]);
      // The Open dialog lists the seeded examples apart from what users save.
      expect(list[0]!.example).toBe(true);
      const { id: mine } = await first.client.experiments.save.mutate({ document: simDoc("mine", [{ guid: 1 }]) });
      const withMine = await first.client.experiments.list.query();
      expect(withMine.find((e) => e.id === mine)).toMatchObject({ name: "mine", example: false, resourceCount: 1 });
      await first.client.experiments.delete.mutate({ id: mine });
      expect(first.logs.join("\n")).toMatch(/example b-bad\.json skipped: resources\[0\]\.guid: expected a guid/);
      expect(first.logs.join("\n")).toMatch(/example c-broken\.json skipped: not JSON/);
      await first.client.experiments.delete.mutate({ id: list[0]!.id });
      await first.server.close();

      // A deleted example stays deleted: seeding happens once per store.
      const second = await startTestServer({ dataDir, examplesDir: examples });
      expect(await second.client.experiments.list.query()).toEqual([]);
      await second.stop();
    } finally {
      rmSync(examples, { recursive: true, force: true });
    }
  });

  it("serves the web app with a fallback to index.html, and the API on the same port", async () => {
    const web = tempDir("nepi-web-");
    mkdirSync(join(web, "assets"));
    writeFileSync(join(web, "index.html"), "<!doctype html><title>NEPI Studio</title>");
    writeFileSync(join(web, "assets", "app.js"), "console.log('app')");
    const t = await startTestServer({ webDir: web });
    try {
      const index = await fetch(t.server.url);
      expect(index.status).toBe(200);
      expect(await index.text()).toContain("<title>NEPI Studio</title>");
      const asset = await fetch(t.server.url + "assets/app.js");
      expect(asset.headers.get("content-type")).toMatch(/javascript/);
      expect(await asset.text()).toBe("console.log('app')");
      const route = await fetch(t.server.url + "experiments/123");
      expect(await route.text()).toContain("<title>NEPI Studio</title>");
      const api = await fetch(t.server.url + "trpc/experiments.list");
      expect(await api.json()).toEqual({ result: { data: [] } });
    } finally {
      await t.stop();
      rmSync(web, { recursive: true, force: true });
    }
  });

  it("streams run events over SSE too (plain HTTP GET, resumable with Last-Event-ID)", async () => {
    const t = await startTestServer();
    try {
      const { id } = await t.client.experiments.save.mutate({
        document: simDoc("sse", [{ guid: 1, attributes: { duration: "20ms" } }]),
      });
      const { runId } = await t.client.runs.start.mutate({ experimentId: id });
      const read = async (
        input: object,
      ): Promise<Array<{ id?: string; data: { type: string; status?: string; seq: number } }>> => {
        const res = await fetch(t.server.url + "trpc/runs.events?input=" + encodeURIComponent(JSON.stringify(input)));
        expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
        const reader = res.body!.getReader();
        const events: Array<{ id?: string; data: { type: string; status?: string; seq: number } }> = [];
        let buffer = "";
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += new TextDecoder().decode(value);
          let end: number;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = /^data: (.*)$/m.exec(block)?.[1];
            const eventId = /^id: (.*)$/m.exec(block)?.[1];
            if (data && !/^event:/m.test(block)) events.push({ ...(eventId ? { id: eventId } : {}), data: JSON.parse(data) });
          }
          if (events.some((e) => e.data.type === "status" && e.data.status === "FINISHED")) break;
        }
        await reader.cancel();
        return events;
      };
      const all = await read({ runId, lastEventId: "0" });
      expect(all.map((e) => Number(e.id))).toEqual(all.map((_e, i) => i + 1));
      expect(all.at(-1)!.data).toMatchObject({ type: "status", status: "FINISHED" });
      const resumed = await read({ runId, lastEventId: all[2]!.id });
      expect(resumed.map((e) => e.id)).toEqual(all.slice(3).map((e) => e.id));
      await t.client.runs.release.mutate({ runId });
    } finally {
      await t.stop();
    }
  });
});

describe("starting on a busy port", () => {
  it("fails with a message naming the address and what to do", async () => {
    const t = await startTestServer();
    try {
      await expect(startTestServer({ port: t.server.port })).rejects.toThrow(
        `cannot listen on 127.0.0.1:${t.server.port}: the port is in use (set PORT)`,
      );
    } finally {
      await t.stop();
    }
  });
});
