import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { TRPCClientError } from "@trpc/client";
import type { AppRouter } from "../src/router/index.js";
import { collectEvents, simDoc, startTestServer, type TestServer } from "./helpers.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ maxBodyBytes: 256 * 1024 });
});
afterAll(async () => {
  await t.stop();
});

/** The `data` the server's error formatter adds (src/router/trpc.ts); `problems` when fields are at fault. */
type Failure = TRPCClientError<AppRouter> & {
  data: { code: string; httpStatus: number; nepiCode?: string; problems: { path: string; message: string }[] };
};

/** The error a call rejects with (fails the test if it resolves). */
async function failure(call: Promise<unknown>): Promise<Failure> {
  try {
    await call;
  } catch (err) {
    expect(err).toBeInstanceOf(TRPCClientError);
    return err as Failure;
  }
  throw new Error("expected the call to fail");
}

describe("bad input gets a clear error naming the field", () => {
  it("rejects an invalid document with every problem and its path", async () => {
    const err = await failure(
      t.client.experiments.save.mutate({
        document: {
          format: "nepi-experiment@2",
          name: "",
          resources: [
            { guid: 0, type: "sim::Task" },
            { guid: 2, type: "nocolons", attributes: { x: [1] } },
          ],
        } as never,
      }),
    );
    expect(err.data.code).toBe("BAD_REQUEST");
    expect(err.data.httpStatus).toBe(400);
    const paths = err.data.problems.map((p: { path: string }) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "document.format",
        "document.name",
        "document.resources[0].guid",
        "document.resources[1].type",
        "document.resources[1].attributes.x",
      ]),
    );
    expect(err.message).toContain("document.resources[0].guid: expected a guid (positive integer)");
    expect(err.message).toContain('document.format: expected "nepi-experiment@1"');
  });

  it("refuses to run a design with problems, listing each with its path", async () => {
    const { id } = await t.client.experiments.save.mutate({
      document: {
        format: "nepi-experiment@1",
        name: "broken",
        resources: [
          { guid: 1, type: "sim::Nope" },
          { guid: 2, type: "sim::Task", attributes: { failIn: "never" } },
        ],
        conditions: [{ group: [2], action: "START", after: [9], state: "STARTED" }],
      },
    });
    const err = await failure(t.client.runs.start.mutate({ experimentId: id }));
    expect(err.data.code).toBe("BAD_REQUEST");
    expect(err.data.nepiCode).toBe("INVALID_DOCUMENT");
    const byPath = Object.fromEntries(err.data.problems.map((p: { path: string; message: string }) => [p.path, p.message]));
    expect(byPath["resources[0].type"]).toMatch(/unknown resource type "sim::Nope"/);
    expect(byPath["resources[1].attributes.failIn"]).toMatch(/"none", "deploy", "start", "run"/);
    expect(Object.keys(byPath).some((p) => p.startsWith("conditions[0]"))).toBe(true);
    // Nothing was recorded for the refused run.
    expect(await t.client.runs.list.query({ experimentId: id })).toEqual([]);
  });

  it("answers NOT_FOUND for unknown ids, naming them", async () => {
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["experiment", () => t.client.experiments.get.query({ id: "no-such-exp" })],
      ["experiment", () => t.client.experiments.export.query({ id: "no-such-exp" })],
      ["experiment", () => t.client.experiments.delete.mutate({ id: "no-such-exp" })],
      ["experiment", () => t.client.experiments.save.mutate({ id: "no-such-exp", document: simDoc("x", [{ guid: 1 }]) })],
      ["experiment", () => t.client.runs.start.mutate({ experimentId: "no-such-exp" })],
      ["run", () => t.client.runs.get.query({ runId: "no-such-run" })],
      ["run", () => t.client.runs.stop.mutate({ runId: "no-such-run" })],
      ["run", () => t.client.runs.release.mutate({ runId: "no-such-run" })],
      ["run", () => t.client.runs.cleanup.mutate({ runId: "no-such-run" })],
      ["run", () => collectEvents(t.client, { runId: "no-such-run" })],
    ];
    for (const [what, call] of calls) {
      const err = await failure(call());
      expect(err.data.code).toBe("NOT_FOUND");
      expect(err.message).toMatch(new RegExp(`${what} "no-such-(exp|run)" does not exist`));
    }
  });

  it("refuses actions in the wrong state and bad event ids", async () => {
    const { id } = await t.client.experiments.save.mutate({
      document: simDoc("short", [{ guid: 1, attributes: { duration: "1ms" } }]),
    });
    const { runId } = await t.client.runs.start.mutate({ experimentId: id });
    await t.client.runs.release.mutate({ runId });
    const stop = await failure(t.client.runs.stop.mutate({ runId }));
    expect(stop.data.code).toBe("CONFLICT");
    expect(stop.message).toMatch(/cannot stop run .* released/);
    const cleanup = await failure(t.client.runs.cleanup.mutate({ runId }));
    expect(cleanup.data.code).toBe("CONFLICT");
    expect(cleanup.message).toMatch(/only an INTERRUPTED run needs cleanup/);
    const badId = await failure(collectEvents(t.client, { runId, lastEventId: "abc" }));
    expect(badId.data.code).toBe("BAD_REQUEST");
    expect(badId.data.problems[0].path).toBe("lastEventId");
    const trace = await failure(
      new Promise((resolve, reject) =>
        t.client.runs.trace.subscribe({ runId, guid: 1, name: "stdout" }, { onData: resolve, onError: reject }),
      ),
    );
    expect(trace.data.code).toBe("NOT_FOUND");
    expect(trace.message).toMatch(/kept no trace "stdout" of resource 1/);
  });

  it("limits the size of a request body and of a WebSocket message", async () => {
    const big = "x".repeat(300 * 1024);
    const res = await fetch(t.server.url + "trpc/experiments.save", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ document: { ...simDoc("big", [{ guid: 1 }]), description: big } }),
    });
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: { data: { code: string } } };
    expect(body.error.data.code).toBe("PAYLOAD_TOO_LARGE");

    const ws = new WebSocket(t.server.url.replace("http", "ws") + "trpc");
    await new Promise((r) => ws.once("open", r));
    const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
    ws.send(big);
    expect(await closed).toBe(1009); // message too big
  });

  it("answers plain JSON over HTTP, so curl can call it", async () => {
    const res = await fetch(t.server.url + "trpc/experiments.get?input=" + encodeURIComponent(JSON.stringify({ id: "" })));
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: { message: string; data: { problems: Array<{ path: string; message: string }> } };
    };
    expect(body.error.data.problems).toEqual([{ path: "id", message: "expected an id", code: "too_small" }]);
    expect(body.error.message).toBe("id: expected an id");
    expect(JSON.stringify(body)).not.toContain("stack");
    const list = await fetch(t.server.url + "trpc/catalog.list");
    const json = (await list.json()) as { result: { data: Array<{ rtype: string }> } };
    expect(json.result.data.some((c) => c.rtype === "sim::Task")).toBe(true);
  });
});
