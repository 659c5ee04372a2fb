import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers.js";

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
  });

  it("names the run that does not exist", async () => {
    await expect(t.client.runs.manifest.query({ runId: "nope" })).rejects.toThrow(/run "nope" does not exist/);
  });
});
