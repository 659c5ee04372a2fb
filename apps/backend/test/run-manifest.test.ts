import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { extract } from "tar";
import type { ExperimentDocumentInput } from "@nepi/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectEvents, startTestServer, tempDir, type TestServer } from "./helpers.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

describe("runs.manifest", () => {
  it("answers a released run's manifest: the document as run, resolved, and its machine's facts", async () => {
    const { client } = t;
    const { id } = await client.experiments.save.mutate({
      document: {
        format: "nepi-experiment@1",
        name: "manifest",
        resources: [
          { guid: 1, type: "linux::Node", label: "host", attributes: { hostname: "localhost" } },
          { guid: 2, type: "linux::Ping", label: "pinger", attributes: { target: "127.0.0.1", count: 1 } },
        ],
        connections: [{ source: 2, target: 1 }],
      },
    });
    const { runId } = await client.runs.start.mutate({ experimentId: id });
    // Before the release the manifest is not there yet: said so, not an empty answer.
    await expect(client.runs.manifest.query({ runId })).rejects.toThrow(/written once the run is released/);
    const early = await fetch(`${t.server.url}files/runs/${runId}/bundle.tar.gz`);
    expect(early.status).toBe(409);
    expect(await early.text()).toMatch(/manifest\.json, timeline\.json are written once it is released/);
    await client.runs.release.mutate({ runId });

    const m = await client.runs.manifest.query({ runId });
    expect(m).toMatchObject({ format: "nepi-manifest@1", expId: id, runId });
    expect(m.document.resources.find((r) => r.guid === 2)!.attributes).toMatchObject({ count: 1, interval: 1, critical: true });
    expect(m.machines).toHaveLength(1);
    expect(m.machines[0]).toMatchObject({
      label: "host",
      address: "local",
      uname: { value: expect.stringMatching(/^Linux /) },
      cpus: { value: expect.stringMatching(/^\d+$/) },
      tools: { "iputils-ping": { value: expect.stringMatching(/\d/) } },
    });

    // The bundle download: the same manifest, and the timeline, in one .tar.gz.
    const res = await fetch(`${t.server.url}files/runs/${runId}/bundle.tar.gz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/gzip");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${runId}.tar.gz"`);
    const dir = tempDir("nepi-bundle-http-");
    await writeFile(join(dir, "run.tar.gz"), Buffer.from(await res.arrayBuffer()));
    await extract({ file: join(dir, "run.tar.gz"), cwd: dir });
    expect(JSON.parse(await readFile(join(dir, runId, "manifest.json"), "utf8"))).toEqual(m);
    const timeline = JSON.parse(await readFile(join(dir, runId, "timeline.json"), "utf8")) as Array<{ state: string }>;
    expect(timeline.filter((e) => e.state === "RELEASED")).toHaveLength(2);
  });

  it("names the run that does not exist", async () => {
    await expect(t.client.runs.manifest.query({ runId: "nope" })).rejects.toThrow(/run "nope" does not exist/);
    const res = await fetch(`${t.server.url}files/runs/nope/bundle.tar.gz`);
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/run "nope" does not exist/);
  });
});

describe("runs.diff", () => {
  const design = (count: number): ExperimentDocumentInput => ({
    format: "nepi-experiment@1",
    name: "diff",
    resources: [
      { guid: 1, type: "linux::Node", label: "host", attributes: { hostname: "localhost" } },
      { guid: 2, type: "linux::Ping", label: "pinger", attributes: { target: "127.0.0.1", count, interval: 0.2 } },
    ],
    connections: [{ source: 2, target: 1 }],
  });
  /** Runs the saved experiment until it finished, then releases it. */
  async function finishedRun(experimentId: string): Promise<string> {
    const { runId } = await t.client.runs.start.mutate({ experimentId });
    await collectEvents(t.client, { runId, lastEventId: "0" }, (e) => e.type === "status" && e.status !== "RUNNING");
    await t.client.runs.release.mutate({ runId });
    return runId;
  }

  it("finds only times between two runs of one design; the changed attribute once it is changed", async () => {
    const { id } = await t.client.experiments.save.mutate({ document: design(1) });
    const first = await finishedRun(id);
    const again = await finishedRun(id);
    const same = await t.client.runs.diff.query({ a: first, b: again });
    expect(same).toMatchObject({ same: true, attributes: [], facts: [] });
    expect(same.timing.find((x) => x.guid === 2 && x.state === "FINISHED")).toMatchObject({
      a: expect.any(Number),
      b: expect.any(Number),
    });

    await t.client.experiments.save.mutate({ id, document: design(3) });
    const changed = await finishedRun(id);
    const d = await t.client.runs.diff.query({ a: first, b: changed });
    expect(d.same).toBe(false);
    expect(d.attributes).toEqual([{ guid: 2, resource: "pinger (guid 2)", attribute: "count", a: 1, b: 3 }]);
    const finished = d.timing.find((x) => x.guid === 2 && x.state === "FINISHED")!;
    // Three echoes 0.2 s apart end later than one.
    expect(finished.b! - finished.a!).toBeGreaterThan(300);
  });
});
