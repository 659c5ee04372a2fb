import { afterEach, describe, expect, it } from "vitest";
import type { ExperimentController, StateEvent } from "../../src/node.js";
import { newController, nodeAttributes, processes, type HostKind } from "../support/linux.js";

let ec: ExperimentController | undefined;
afterEach(async () => {
  await ec?.shutdown();
  ec = undefined;
});

/** When `guid` reached `state` (ms since epoch). */
function at(c: ExperimentController, guid: number, state: string): number {
  const e = c.timeline().find((x: StateEvent) => x.guid === guid && x.state === state);
  if (!e) throw new Error(`guid ${guid} never reached ${state}`);
  return e.at;
}

for (const kind of ["local", "ssh"] as HostKind[]) {
  describe(`conditions on what a linux::Application prints, on ${kind}`, () => {
    it("starts the client when the server prints ready: ≥ 1 s after the server started, long before it ends", async () => {
      ec = newController("trace-match");
      const node = ec.registerResource("linux::Node", nodeAttributes(kind));
      const server = ec.registerResource("linux::Application", { command: "sleep 1; echo ready; sleep 30" }, { label: "server" });
      const client = ec.registerResource("linux::Application", { command: "echo client" }, { label: "client" });
      ec.registerConnection(server, node);
      ec.registerConnection(client, node);
      ec.registerTrace(server, "stdout");
      ec.registerCondition(client, "START", server, { trace: "stdout", matches: "^ready$", timeout: "20s" }, "0s");
      ec.deploy();
      await ec.waitFinished(client, { timeout: "30s" });
      const serverStarted = at(ec, server, "STARTED");
      const clientStarted = at(ec, client, "STARTED");
      expect(clientStarted - serverStarted).toBeGreaterThanOrEqual(1000);
      // The server sleeps 30 s after printing: it still runs, the client did not wait for its end.
      expect(ec.state(server)).toBe("STARTED");
      expect(clientStarted - serverStarted).toBeLessThan(15_000);
      // Matched: no follow of the server's stdout is left on the host.
      expect(processes().filter((p) => p.startsWith("tail -c +1 -F") && p.includes(`/${ec!.runId}/${server}/stdout`))).toEqual(
        [],
      );
    });

    it("fails the client past the timeout, naming the trace and the pattern; the server runs on", async () => {
      ec = newController("trace-timeout");
      const node = ec.registerResource("linux::Node", nodeAttributes(kind));
      const server = ec.registerResource("linux::Application", { command: "echo starting; sleep 30" }, { label: "server" });
      const client = ec.registerResource("linux::Application", { command: "echo client", critical: false }, { label: "client" });
      ec.registerConnection(server, node);
      ec.registerConnection(client, node);
      ec.registerTrace(server, "stdout");
      ec.registerCondition(client, "START", server, { trace: "stdout", matches: "listening on", timeout: "2s" });
      ec.deploy();
      await expect(ec.waitStarted(client, { timeout: "30s" })).rejects.toThrow(/FAILED|failed/);
      expect(ec.failure(client)).toBe(
        `cannot START: it waits for START after guid ${server} stdout ~ /listening on/, but stdout of guid ${server} (server) did not match /listening on/ within 2s of its start (1 line seen)`,
      );
      expect(at(ec, client, "FAILED") - at(ec, server, "STARTED")).toBeGreaterThanOrEqual(2000);
      expect(ec.state(server)).toBe("STARTED");
    });

    it("fails the client at once when the server exits without printing the pattern", async () => {
      ec = newController("trace-never");
      const node = ec.registerResource("linux::Node", nodeAttributes(kind));
      const server = ec.registerResource("linux::Application", { command: "echo port in use; echo bye" }, { label: "server" });
      const client = ec.registerResource("linux::Application", { command: "echo client", critical: false }, { label: "client" });
      ec.registerConnection(server, node);
      ec.registerConnection(client, node);
      ec.registerTrace(server, "stdout");
      ec.registerCondition(client, "START", server, { trace: "stdout", matches: "listening on" });
      ec.deploy();
      await expect(ec.waitStarted(client, { timeout: "30s" })).rejects.toThrow();
      expect(ec.failure(client)).toMatch(
        /but guid \d+ \(server\) is FINISHED and its stdout never matched \/listening on\/ \(2 lines seen\)$/,
      );
    });
  });
}
