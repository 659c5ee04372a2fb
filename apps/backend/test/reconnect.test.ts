import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "@nepi/core";
import { connect, relay, simDoc, startTestServer, type TestServer } from "./helpers.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

describe("a subscriber whose connection drops", () => {
  it("reconnects by itself and resumes after its last event id: no gap, no duplicate", async () => {
    const r = await relay(t.server.port);
    const { client, close } = connect(`http://127.0.0.1:${r.port}/`);
    try {
      // 30 tasks finishing one after the other over ~600 ms.
      const resources = Array.from({ length: 30 }, (_, i) => ({ guid: i + 1, attributes: { duration: `${20 * (i + 1)}ms` } }));
      const { id } = await client.experiments.save.mutate({ document: simDoc("drops", resources) });
      const { runId } = await client.runs.start.mutate({ experimentId: id });

      const received: Array<{ id: string; data: RunEvent }> = [];
      let cuts = 0;
      await new Promise<void>((resolve, reject) => {
        const sub = client.runs.events.subscribe(
          { runId, lastEventId: "0" },
          {
            onData: (d) => {
              received.push(d as { id: string; data: RunEvent });
              const finished = received.filter((e) => e.data.type === "transition" && e.data.event.state === "FINISHED").length;
              // Drop the connection after the 5th and the 15th task finished.
              if ((finished === 5 && cuts === 0) || (finished === 15 && cuts === 1)) {
                cuts++;
                r.cut();
              }
              if (d.data.type === "status" && d.data.status === "FINISHED") {
                sub.unsubscribe();
                resolve();
              }
            },
            onError: reject,
          },
        );
      });
      expect(cuts).toBe(2);
      const ids = received.map((e) => Number(e.id));
      expect(ids).toEqual(ids.map((_id, i) => i + 1));
      const run = await t.client.runs.get.query({ runId });
      const transitions = received.flatMap((e) => (e.data.type === "transition" ? [e.data.event] : []));
      expect(transitions).toEqual(run.timeline);
      await t.client.runs.release.mutate({ runId });
    } finally {
      close();
      await r.close();
    }
  });
});
