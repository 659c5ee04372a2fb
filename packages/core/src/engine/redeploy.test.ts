import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ExperimentController, LINUX_NODE, LINUX_PING, type ExperimentDocumentInput } from "../index.js";
import { defineResourceType } from "../catalog/registry.js";
import { CRITICAL_ATTRIBUTE } from "../catalog/common.js";

let t0 = 0;
const states = (ec: ExperimentController, guid: number) =>
  ec
    .timeline()
    .filter((e) => e.guid === guid)
    .map((e) => e.state);
/** When `guid` last reached `state`, relative to the start of the test (fake clock). */
function lastAt(ec: ExperimentController, guid: number, state: string): number {
  const e = ec
    .timeline()
    .filter((x) => x.guid === guid && x.state === state)
    .at(-1);
  if (!e) throw new Error(`guid ${guid} never reached ${state}`);
  return e.at - t0;
}

beforeEach(() => {
  vi.useFakeTimers();
  t0 = Date.now();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("partial deploy", () => {
  it("deploys only the group (and what it deploys after); the others stay NEW", async () => {
    const doc: ExperimentDocumentInput = {
      format: "nepi-experiment@1",
      name: "two nodes",
      resources: [
        { guid: 1, type: LINUX_NODE.rtype, attributes: { hostname: "a.example" } },
        { guid: 2, type: LINUX_PING.rtype, attributes: { target: "b.example", count: 1 } },
        { guid: 3, type: LINUX_NODE.rtype, attributes: { hostname: "b.example" } },
        { guid: 4, type: LINUX_PING.rtype, attributes: { target: "a.example", count: 1 } },
      ],
      connections: [
        { source: 2, target: 1 },
        { source: 4, target: 3 },
      ],
      conditions: [],
    };
    const ec = ExperimentController.fromDocument(doc, { dryRun: { taskDuration: "1s" } });
    ec.deploy([2]); // the ping: its node comes with it
    await vi.advanceTimersByTimeAsync(5000);
    expect(ec.state(1)).toBe("STARTED");
    expect(ec.state(2)).toBe("FINISHED");
    expect(ec.state(3)).toBe("NEW");
    expect(ec.state(4)).toBe("NEW");
    expect(states(ec, 3)).toEqual([]);
    await ec.shutdown();
    expect(ec.state(3)).toBe("NEW");
  });

  it("fails at once a member whose condition waits on a resource left out, naming it", async () => {
    const ec = new ExperimentController();
    const server = ec.registerResource("sim::Task", {}, { label: "server" });
    const client = ec.registerResource("sim::Task", { duration: "1s" }, { label: "client" });
    ec.registerCondition(client, "START", server, "STARTED");
    const seen = ec.waitFinished(client).catch((e: Error) => e);
    ec.deploy([client]);
    await vi.advanceTimersByTimeAsync(10);
    expect(ec.state(client)).toBe("FAILED");
    expect(ec.failure(client)).toBe("cannot START: it waits on guid 1, which is not part of this deploy");
    expect(ec.ecState).toBe("FAILED");
    expect(String(await seen)).toMatch(/guid 1, which is not part of this deploy/);
  });

  it("lets a second deploy() in the same turn supply what a member waits on", async () => {
    const ec = new ExperimentController();
    const server = ec.registerResource("sim::Task", {});
    const client = ec.registerResource("sim::Task", { duration: "1s" });
    ec.registerCondition(client, "START", server, "STARTED", "500ms");
    ec.deploy([client]);
    ec.deploy([server]);
    await vi.advanceTimersByTimeAsync(3000);
    expect(ec.state(client)).toBe("FINISHED");
    expect(lastAt(ec, client, "STARTED")).toBe(500);
  });
});

describe("redeploy", () => {
  it("releases a running task and takes it through its lifecycle again, in the timeline", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", {});
    const b = ec.registerResource("sim::Task", {});
    ec.deploy();
    await vi.advanceTimersByTimeAsync(100);
    await ec.redeploy(a);
    await ec.waitStarted(a);
    expect(states(ec, a)).toEqual([
      "DISCOVERED",
      "PROVISIONED",
      "READY",
      "STARTED",
      "RELEASED",
      "NEW",
      "DISCOVERED",
      "PROVISIONED",
      "READY",
      "STARTED",
    ]);
    expect(states(ec, b)).toEqual(["DISCOVERED", "PROVISIONED", "READY", "STARTED"]);
    await ec.shutdown();
    expect(ec.state(a)).toBe("RELEASED");
  });

  it("waits again for its conditions, the delay counted from the awaited state", async () => {
    const ec = new ExperimentController();
    const server = ec.registerResource("sim::Task", {});
    const client = ec.registerResource("sim::Task", { duration: "1s" });
    ec.registerCondition(client, "START", server, "STARTED", "2s");
    ec.deploy();
    await vi.advanceTimersByTimeAsync(5000);
    expect(ec.state(client)).toBe("FINISHED");
    // The server comes back: a client redeployed with it waits for its new start.
    await ec.redeploy(server);
    await vi.advanceTimersByTimeAsync(1000);
    await ec.redeploy(client);
    await vi.advanceTimersByTimeAsync(100);
    expect(ec.state(client)).toBe("READY");
    expect(lastAt(ec, server, "STARTED")).toBe(5000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(ec.state(client)).toBe("STARTED");
    expect(lastAt(ec, client, "STARTED")).toBe(7000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(ec.state(client)).toBe("FINISHED");
  });

  it("keeps a wait on it pending across the redeploy: a waitFinished resolves with the new run", async () => {
    const ec = new ExperimentController();
    const task = ec.registerResource("sim::Task", { duration: "2s" });
    ec.deploy();
    await vi.advanceTimersByTimeAsync(1000);
    const finished = ec.waitFinished(task);
    await ec.redeploy(task);
    await vi.advanceTimersByTimeAsync(1500);
    expect(ec.state(task)).toBe("STARTED");
    await vi.advanceTimersByTimeAsync(1000);
    await finished;
    expect(lastAt(ec, task, "FINISHED")).toBe(3000);
  });

  it("redeploys a node in a dry run: its applications are released first and come back after it", async () => {
    const doc: ExperimentDocumentInput = {
      format: "nepi-experiment@1",
      name: "node",
      resources: [
        { guid: 1, type: LINUX_NODE.rtype, attributes: { hostname: "a.example" } },
        { guid: 2, type: LINUX_PING.rtype, attributes: { target: "b.example" } },
        { guid: 3, type: LINUX_NODE.rtype, attributes: { hostname: "b.example" } },
      ],
      connections: [{ source: 2, target: 1 }],
      conditions: [],
    };
    const ec = ExperimentController.fromDocument(doc, { dryRun: { taskDuration: "10s" } });
    ec.deploy();
    await vi.advanceTimersByTimeAsync(1000);
    const from = ec.timeline().length;
    await ec.redeploy(1);
    await ec.waitStarted([1, 2]);
    const after = ec
      .timeline()
      .slice(from)
      .map((e) => `${e.guid} ${e.state}`);
    // The ping is released before its node, deployed only once its node is READY again, and
    // both start together.
    expect(after).toEqual([
      "2 RELEASED",
      "1 RELEASED",
      "1 NEW",
      "2 NEW",
      "1 DISCOVERED",
      "1 PROVISIONED",
      "1 READY",
      "2 DISCOVERED",
      "2 PROVISIONED",
      "2 READY",
      "1 STARTED",
      "2 STARTED",
    ]);
    expect(states(ec, 3)).toEqual(["DISCOVERED", "PROVISIONED", "READY", "STARTED"]);
    await ec.shutdown();
  });

  it("refuses a resource that was never deployed, or one being released, naming it", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", {}, { label: "a" });
    const b = ec.registerResource("sim::Task", {}, { label: "b" });
    await expect(ec.redeploy(a)).rejects.toThrow("redeploy: guid 1 (a) is not deployed: deploy it instead");
    ec.deploy([a]);
    await vi.advanceTimersByTimeAsync(10);
    const first = ec.redeploy(a);
    await expect(ec.redeploy(a)).rejects.toThrow("redeploy: guid 1 (a) is being redeployed");
    await first;
    expect(ec.state(b)).toBe("NEW");
    await expect(ec.redeploy(99)).rejects.toThrow(/unknown guid 99/);
  });

  it("lets an operation in progress end first: a task still deploying is released after it, then deployed again", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { deployTime: "1s" });
    ec.deploy();
    await vi.advanceTimersByTimeAsync(300);
    const redeployed = ec.redeploy(a);
    await vi.advanceTimersByTimeAsync(3000);
    await redeployed;
    expect(ec.state(a)).toBe("STARTED");
    const s = states(ec, a);
    expect(s.slice(s.indexOf("NEW"))).toEqual(["NEW", "DISCOVERED", "PROVISIONED", "READY", "STARTED"]);
  });

  it("is cut short by a shutdown while it releases: nothing is deployed again", async () => {
    const ec = new ExperimentController();
    const node = ec.registerResource(LINUX_NODE.rtype, { hostname: "a.example" });
    const ping = ec.registerResource(LINUX_PING.rtype, { target: "b.example" });
    ec.registerConnection(ping, node);
    const dry = ExperimentController.fromDocument(ec.toDocument(), { dryRun: {} });
    dry.deploy();
    await dry.waitStarted([node, ping]);
    const redeployed = dry.redeploy(node).catch((e: Error) => e);
    await dry.shutdown();
    expect(String(await redeployed)).toMatch(/redeploy: guid 1 \(linux::Node\) was released meanwhile/);
    await vi.advanceTimersByTimeAsync(1000);
    expect(dry.state(node)).toBe("RELEASED");
    expect(dry.state(ping)).toBe("RELEASED");
    expect(states(dry, node).filter((x) => x === "NEW")).toEqual([]);
  });

  it("brings back a resource released by hand", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", {});
    ec.deploy();
    await vi.advanceTimersByTimeAsync(10);
    await ec.release(a);
    expect(ec.state(a)).toBe("RELEASED");
    await ec.redeploy(a);
    await ec.waitStarted(a);
    expect(states(ec, a).slice(-6)).toEqual(["RELEASED", "NEW", "DISCOVERED", "PROVISIONED", "READY", "STARTED"]);
  });
});

describe("joining a running resource", () => {
  it("connects a new application to a running node and deploys it there", async () => {
    const doc: ExperimentDocumentInput = {
      format: "nepi-experiment@1",
      name: "node",
      resources: [{ guid: 1, type: LINUX_NODE.rtype, attributes: { hostname: "a.example" } }],
      connections: [],
      conditions: [],
    };
    const ec = ExperimentController.fromDocument(doc, { dryRun: { taskDuration: "1s" } });
    ec.deploy();
    await ec.waitStarted(1);
    const ping = ec.registerResource(LINUX_PING.rtype, { target: "b.example" });
    ec.registerConnection(ping, 1);
    ec.deploy([ping]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(ec.state(ping)).toBe("FINISHED");
    expect(ec.connections(1)).toEqual([ping]);
    // Nothing joins a node that is gone.
    await ec.release(1);
    const late = ec.registerResource(LINUX_PING.rtype, { target: "b.example" });
    expect(() => ec.registerConnection(late, 1)).toThrow("connection: guid 1 (linux::Node) is RELEASED: nothing can join it");
  });

  it("refuses a new host under a deployed resource that deploys after its hosts, and two deployed resources", async () => {
    // A type that runs on any number of hosts: only the deploy order can refuse the link.
    defineResourceType({
      rtype: "test::Spread",
      backend: "test",
      help: "runs on several hosts",
      attributes: [CRITICAL_ATTRIBUTE],
      traces: [],
      roles: [],
      connections: [{ role: "host", min: 1, max: null, deployAfter: "READY" }],
      finishes: "never",
      platform: "any",
      look: { abbreviation: "SP", group: "test", color: "#ccc" },
      charts: [],
    });
    const ec = new ExperimentController({ dryRun: {} });
    const node = ec.registerResource(LINUX_NODE.rtype, { hostname: "a.example" });
    const spread = ec.registerResource("test::Spread", {}, { label: "spread" });
    ec.registerConnection(spread, node);
    const other = ec.registerResource(LINUX_NODE.rtype, { hostname: "b.example" }, { label: "other" });
    ec.deploy([spread, other]);
    await ec.waitStarted([spread, other]);
    expect(() => ec.registerConnection(spread, other)).toThrow(
      "connection: guid 2 (spread) and guid 3 (other) are both deployed",
    );
    const fresh = ec.registerResource(LINUX_NODE.rtype, { hostname: "c.example" }, { label: "fresh" });
    expect(() => ec.registerConnection(spread, fresh)).toThrow(
      "connection: guid 2 (spread) is already deployed and would have had to deploy after guid 4 (fresh)",
    );
    expect(ec.connections(spread)).toEqual([node]);
  });
});
