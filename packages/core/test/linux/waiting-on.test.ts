import { afterEach, describe, expect, it } from "vitest";
import { GateEventSchema, type ExperimentController, type GateEvent } from "../../src/node.js";
import { newController, nodeAttributes } from "../support/linux.js";

let ec: ExperimentController | undefined;
afterEach(async () => {
  await ec?.shutdown();
  ec = undefined;
});

/** Resolves with the first `gate` event that `accept` takes. */
function gateEvent(c: ExperimentController, accept: (e: GateEvent) => boolean): Promise<GateEvent> {
  return new Promise((resolve) => {
    const off = c.on("gate", (e) => {
      if (!accept(e)) return;
      off();
      resolve(GateEventSchema.parse(e));
    });
  });
}

describe("a run that explains itself, on localhost", () => {
  it("says what a client waits for while a real server runs, and counts its delay down", async () => {
    ec = newController("waiting-on");
    const node = ec.registerResource("linux::Node", nodeAttributes("local"));
    const server = ec.registerResource("linux::Application", { command: "sleep 5" });
    const client = ec.registerResource("linux::Application", { command: "echo hello" });
    ec.registerConnection(server, node);
    ec.registerConnection(client, node);
    ec.registerCondition(client, "START", server, "STARTED", "1500ms");
    const armed = gateEvent(ec, (e) => e.status === "armed");
    const opened = gateEvent(ec, (e) => e.status === "opened");
    ec.deploy();
    const arm = await armed;
    const serverStarted = ec.timeline().find((e) => e.guid === server && e.state === "STARTED")!.at;
    expect(arm).toMatchObject({
      condition: 0,
      action: "START",
      subjects: [client],
      after: [server],
      delayMs: 1500,
      firesAt: serverStarted + 1500,
    });
    expect(ec.state(client)).toBe("READY");
    const [reason] = ec.waitingOn(client);
    expect(reason).toMatchObject({ kind: "condition", remaining: [], firesAt: serverStarted + 1500 });
    expect(reason!.text).toMatch(new RegExp(`^START after guid ${server} STARTED \\+ 1.5s: [01](\\.\\d)?s left$`));
    expect(ec.waitingOn(server)).toEqual([{ kind: "running", endsByItself: true, text: "running until it ends by itself" }]);
    expect(ec.waitingOn(node)).toEqual([{ kind: "running", endsByItself: false, text: "running until stopped or released" }]);
    await opened;
    await ec.waitFinished(client, { timeout: "20s" });
    const clientStarted = ec.timeline().find((e) => e.guid === client && e.state === "STARTED")!.at;
    expect(clientStarted - serverStarted).toBeGreaterThanOrEqual(1500);
    expect(ec.waitingOn(client)).toEqual([]);
  });

  it("a deploy of a client without the server it waits on fails the client at once, naming the server", async () => {
    ec = newController("waiting-outside");
    const node = ec.registerResource("linux::Node", nodeAttributes("local"));
    const server = ec.registerResource("linux::Application", { command: "sleep 5" });
    const client = ec.registerResource("linux::Application", { command: "echo hello", critical: false });
    ec.registerConnection(server, node);
    ec.registerConnection(client, node);
    ec.registerCondition(client, "START", server, "STARTED");
    ec.deploy([client]);
    await expect(ec.waitStarted(client, { timeout: "20s" })).rejects.toThrow(
      `cannot START: it waits on guid ${server}, which is not part of this deploy`,
    );
    // Its node came with it (it deploys after the node) and is not held back by the failure.
    await ec.waitDeployed(node, { timeout: "20s" });
    expect(ec.state(server)).toBe("NEW");
    expect(
      ec
        .timeline()
        .filter((e) => e.guid === client)
        .map((e) => e.state),
    ).toEqual(["FAILED"]);
  });
});
