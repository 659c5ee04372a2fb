import { createServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCClientError } from "@trpc/client";
import type { ExperimentDocumentInput } from "@nepi/core";
import type { AppRouter } from "../src/router/index.js";
import { startTestServer, type TestServer } from "./helpers.js";

let t: TestServer;
let closedPort: number;
const SECRET = "hosts-exec-s3cret";

/** A port nothing listens on (it was free a moment ago). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  t = await startTestServer();
  closedPort = await freePort();
});
afterAll(async () => t.stop());

const design = (): ExperimentDocumentInput => ({
  format: "nepi-experiment@1",
  name: "hosts-exec",
  resources: [
    { guid: 1, type: "linux::Node", label: "alpha", attributes: { hostname: "localhost" } },
    { guid: 2, type: "linux::Node", label: "beta", attributes: { hostname: "localhost" } },
    // Unreachable, with a credential the answer must not carry.
    {
      guid: 3,
      type: "linux::Node",
      label: "gone",
      attributes: { hostname: "127.0.0.1", port: closedPort, username: "nobody", password: SECRET },
    },
  ],
});

type Failure = TRPCClientError<AppRouter> & { data: { code: string; problems?: { path: string; message: string }[] } };
async function failure(call: Promise<unknown>): Promise<Failure> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TRPCClientError);
  return err as Failure;
}

describe("hosts.exec", () => {
  it("runs a command on the saved experiment's hosts, answering per host; credentials stay in the server", async () => {
    const { id } = await t.client.experiments.save.mutate({ document: design() });
    const answer = await t.client.hosts.exec.mutate({ experimentId: id, command: "echo out-$((40+2)); echo err >&2" });
    expect(answer.ok).toBe(false);
    expect(answer.results.map((r) => [r.label, r.ok, r.code, r.stdout, r.stderr])).toEqual([
      ["alpha", true, 0, "out-42\n", "err\n"],
      ["beta", true, 0, "out-42\n", "err\n"],
      ["gone", false, null, "", ""],
    ]);
    expect(answer.results[2]!.error).toMatch(/ECONNREFUSED/);
    expect(JSON.stringify(answer)).not.toContain(SECRET);
    expect(t.logs.join("\n")).not.toContain(SECRET);

    const some = await t.client.hosts.exec.mutate({ experimentId: id, hosts: ["beta", 1], command: "exit 5" });
    expect(some.ok).toBe(false);
    expect(some.results.map((r) => [r.label, r.code])).toEqual([
      ["alpha", 5],
      ["beta", 5],
    ]);
    const fine = await t.client.hosts.exec.mutate({ experimentId: id, hosts: ["alpha"], command: "true" });
    expect(fine.ok).toBe(true);
  });

  it("ends a command past its timeout", async () => {
    const { id } = await t.client.experiments.save.mutate({ document: design() });
    const answer = await t.client.hosts.exec.mutate({
      experimentId: id,
      hosts: ["alpha"],
      command: "sleep 30",
      timeout: "200ms",
    });
    expect(answer.results[0]).toMatchObject({ ok: false, code: 124, error: "timed out after 0.2 s" });
  });

  it("refuses bad input with an error naming the field, and the server goes on", async () => {
    const { id } = await t.client.experiments.save.mutate({ document: design() });
    const unknown = await failure(t.client.hosts.exec.mutate({ experimentId: id, hosts: ["alpha", "nope"], command: "true" }));
    expect(unknown.data.code).toBe("BAD_REQUEST");
    expect(unknown.data.problems).toEqual([
      expect.objectContaining({ path: "hosts[1]", message: expect.stringContaining('no host labelled "nope"') }),
    ]);
    const empty = await failure(t.client.hosts.exec.mutate({ experimentId: id, command: "  " }));
    expect(empty.data.problems).toEqual([expect.objectContaining({ path: "command", message: "expected a command" })]);
    const badTime = await failure(t.client.hosts.exec.mutate({ experimentId: id, command: "true", timeout: "soon" }));
    expect(badTime.data.problems![0]!.path).toBe("timeout");
    const missing = await failure(t.client.hosts.exec.mutate({ experimentId: "no-such-id", command: "true" }));
    expect(missing.data.code).toBe("NOT_FOUND");
    expect((await t.client.hosts.exec.mutate({ experimentId: id, hosts: [2], command: "echo still" })).results[0]!.stdout).toBe(
      "still\n",
    );
  });
});
