import { describe, expect, it } from "vitest";
import {
  ExperimentController,
  NepiError,
  formatTime,
  listResourceTypes,
  parseTime,
  validateDocument,
  type ExperimentDocument,
} from "../index.js";

function thrown(fn: () => unknown): NepiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NepiError);
    return err as NepiError;
  }
  throw new Error("expected an error");
}

describe("registration errors", () => {
  const ec = new ExperimentController();
  const a = ec.registerResource("sim::Task", {}, { label: "alpha" });
  const b = ec.registerResource("sim::Task");

  it("unknown rtype lists the known ones", () => {
    const e = thrown(() => ec.registerResource("sim::Nope"));
    expect(e.code).toBe("UNKNOWN_RTYPE");
    expect(e.message).toContain('unknown resource type "sim::Nope"');
    for (const t of listResourceTypes()) expect(e.message).toContain(t.rtype);
  });

  it("unknown attribute lists the type's attributes", () => {
    const e = thrown(() => ec.set(a, "speed", 3));
    expect(e.code).toBe("UNKNOWN_ATTRIBUTE");
    expect(e.message).toBe(
      'guid 1 (alpha): sim::Task has no attribute "speed" (its attributes: deployTime, duration, failIn, failAttempts, critical, retries, retryDelay)',
    );
  });

  it("wrong value type and values outside the allowed set name the attribute and what was expected", () => {
    expect(thrown(() => ec.set(a, "critical", "yes")).message).toBe(
      'guid 1 (alpha): attribute "critical": expected true or false, got "yes"',
    );
    expect(thrown(() => ec.set(a, "failIn", "later")).message).toBe(
      'guid 1 (alpha): attribute "failIn": expected one of "none", "deploy", "start", "run", got "later"',
    );
    expect(thrown(() => ec.set(a, "duration", "soon")).message).toMatch(
      /attribute "duration": expected a time string such as 500ms/,
    );
    expect(thrown(() => ec.registerResource("linux::Node", { port: 70000 })).message).toMatch(
      /attribute "port": expected an integer between 1 and 65535, got 70000/,
    );
    expect(thrown(() => ec.registerResource("linux::Node", { port: 22.5 })).code).toBe("BAD_VALUE");
  });

  it("never shows a credential's value in an error", () => {
    const e = thrown(() => ec.registerResource("linux::Node", { password: 12345 }));
    expect(e.message).toContain('attribute "password"');
    expect(e.message).not.toContain("12345");
  });

  it("unknown guid", () => {
    expect(thrown(() => ec.state(99)).message).toBe("unknown guid 99 (known: 1, 2)");
    expect(thrown(() => ec.registerConnection(a, 42)).code).toBe("UNKNOWN_GUID");
    expect(thrown(() => ec.registerCondition(a, "START", 7, "STARTED")).message).toMatch(/unknown guid 7/);
  });

  it("bad time strings", () => {
    expect(thrown(() => ec.registerCondition(a, "START", b, "STARTED", "2 minutes")).message).toBe(
      'delay: "2 minutes" is not a time string (expected a number and a unit: 10us, 500ms, 2s, 1.5m, 1h)',
    );
    expect(parseTime("1.5m")).toBe(90_000);
    expect(parseTime("10us")).toBe(0.01);
    expect(parseTime("500ms")).toBe(500);
    expect(parseTime("1h")).toBe(3_600_000);
    expect(formatTime(90_000)).toBe("90s");
  });

  it("a condition of a resource on itself", () => {
    expect(thrown(() => ec.registerCondition([a, b], "START", b, "STARTED")).message).toBe(
      "condition: guid 2 (sim::Task) cannot wait on itself",
    );
  });

  it("bad actions and states", () => {
    expect(thrown(() => ec.registerCondition(a, "JUMP" as never, b, "STARTED")).code).toBe("BAD_CONDITION");
    expect(thrown(() => ec.registerCondition(a, "START", b, "NEW")).message).toMatch(/"NEW" cannot be waited for/);
  });

  it("connections against the catalog's rules", () => {
    const node = ec.registerResource("linux::Node");
    const app = ec.registerResource("linux::Application", { command: "true" });
    expect(thrown(() => ec.registerConnection(a, node)).message).toMatch(
      /guid 1 \(alpha\) cannot connect to guid 3 \(linux::Node\)/,
    );
    ec.registerConnection(app, node);
    const node2 = ec.registerResource("linux::Node");
    expect(thrown(() => ec.registerConnection(app, node2)).message).toMatch(
      /guid 4 \(linux::Application\) connects to exactly 1 host and already has 1/,
    );
    expect(thrown(() => ec.registerConnection(app, app)).message).toMatch(/cannot connect to itself/);
  });

  it("unknown traces", () => {
    expect(thrown(() => ec.registerTrace(a, "pcap")).code).toBe("UNKNOWN_TRACE");
  });
});

describe("setWithConditions of an attribute that cannot change while the run goes on", () => {
  // A design attribute is read once, at deploy: setting it during the run would change nothing.
  const doc = (attribute: string, value: string | number): ExperimentDocument => ({
    format: "nepi-experiment@1",
    name: "set-design",
    resources: [
      { guid: 1, type: "linux::Node", attributes: {}, traces: [] },
      { guid: 2, type: "linux::Ping", attributes: { target: "127.0.0.1" }, traces: [] },
      { guid: 3, type: "sim::Task", attributes: { duration: "1s" }, traces: [] },
    ],
    connections: [{ source: 1, target: 2 }],
    conditions: [],
    attributeConditions: [{ group: [2], attribute, value, after: [3], state: "STARTED" }],
  });

  it("is refused at registration, naming the resource, the attribute and the field", () => {
    const ec = ExperimentController.fromDocument({ ...doc("count", 1), attributeConditions: [] });
    const e = thrown(() => ec.setWithConditions("count", 9, 2, 3, "STARTED"));
    expect(e.code).toBe("READ_ONLY");
    expect(e.path).toBe("attribute");
    expect(e.message).toMatch(
      /guid 2 \(linux::Ping\): attribute "count" is a design attribute: it cannot change while the run goes on/,
    );
    // A sim::Task's duration is no design attribute: it may be set during the run.
    expect(() => ec.setWithConditions("duration", "2s", 3, 2, "STARTED")).not.toThrow();
  });

  it("is a problem of the document at the condition's attribute", () => {
    const problems = validateDocument(doc("count", 9));
    expect(problems).toEqual([
      expect.objectContaining({
        path: "attributeConditions[0].attribute",
        code: "READ_ONLY",
        message: expect.stringMatching(/linux::Ping \(guid 2\): attribute "count" is a design attribute/) as string,
      }),
    ]);
    expect(() => ExperimentController.fromDocument(doc("count", 9))).toThrow(/attributeConditions\[0\]\.attribute/);
  });
});

describe("deploy-time errors", () => {
  it("reports a cycle of conditions with the cycle's guids, and deploys nothing", () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task");
    const b = ec.registerResource("sim::Task");
    const c = ec.registerResource("sim::Task");
    ec.registerCondition(b, "START", a, "STARTED");
    ec.registerCondition(c, "START", b, "STARTED");
    ec.registerCondition(a, "START", c, "FINISHED");
    const e = thrown(() => ec.deploy());
    expect(e.code).toBe("CONDITION_CYCLE");
    expect(e.message).toMatch(/condition cycle: guids (1 → 3 → 2|2 → 1 → 3|3 → 2 → 1) →/);
    expect([a, b, c].map((g) => ec.state(g))).toEqual(["NEW", "NEW", "NEW"]);
  });

  it("finds a cycle through the start-together barrier and the implicit deploy order", () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task");
    const b = ec.registerResource("sim::Task");
    // b deploys after a STARTED; a starts with its group, which includes b... unless b is left out of it.
    ec.registerCondition(b, "DEPLOY", a, "STARTED");
    expect(() => ec.deploy()).not.toThrow();
  });

  it("allows START A after B STARTED together with STOP B after A STARTED (no deadlock)", () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task");
    const b = ec.registerResource("sim::Task");
    ec.registerCondition(a, "START", b, "STARTED");
    ec.registerCondition(b, "STOP", a, "STARTED");
    expect(() => ec.deploy()).not.toThrow();
  });

  it("refuses design-only attributes after deploy, and missing requirements before", () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { duration: "1s" });
    ec.deploy();
    expect(thrown(() => ec.set(a, "failIn", "run")).message).toMatch(
      /guid 1 \(sim::Task\): attribute "failIn" is a design attribute: it cannot be set after deploy/,
    );
    expect(thrown(() => ec.set(a, "duration", "5s")).message).toMatch(/cannot be changed once deployed/);

    const ec2 = new ExperimentController();
    ec2.registerResource("linux::Application");
    const e = thrown(() => ec2.deploy());
    expect(e.message).toMatch(/attribute "command" is required/);
    expect(e.message).toMatch(/needs a host connection \(has 0\)/);
  });

  it("says how to run linux resources when the Node entry is not loaded", () => {
    const ec = new ExperimentController();
    const n = ec.registerResource("linux::Node", { hostname: "localhost" });
    expect(thrown(() => ec.deploy(n)).message).toMatch(/linux::Node cannot run in this process \(import "@nepi\/core\/node"/);
  });
});

const doc: ExperimentDocument = {
  format: "nepi-experiment@1",
  name: "ping-demo",
  resources: [
    { guid: 1, type: "linux::Node", label: "host", attributes: { hostname: "localhost" }, traces: [], position: { x: 0, y: 0 } },
    {
      guid: 2,
      type: "linux::Application",
      label: "hello",
      attributes: { command: "echo hello" },
      traces: ["stdout"],
      position: { x: 200, y: 0 },
    },
    { guid: 3, type: "linux::Ping", attributes: { target: "127.0.0.1", count: 3 }, traces: ["stdout"] },
  ],
  connections: [
    { source: 2, target: 1 },
    { source: 3, target: 1 },
  ],
  conditions: [{ group: [3], action: "START", after: [2], state: "STARTED", delay: "1s" }],
};

describe("experiment documents", () => {
  it("round-trips through the controller", () => {
    const ec = ExperimentController.fromDocument(doc);
    const back = ec.toDocument();
    expect(back).toEqual({
      ...doc,
      connections: [
        { source: 1, target: 2 },
        { source: 1, target: 3 },
      ],
    });
    expect(validateDocument(back)).toEqual([]);
    expect(ExperimentController.fromDocument(back).toDocument()).toEqual(back);
  });

  it("lists every problem with its JSON path", () => {
    const bad = {
      format: "nepi-experiment@1",
      name: "bad",
      resources: [
        { guid: 1, type: "linux::Node", attributes: { hostname: "h", port: "22" } },
        { guid: 2, type: "linux::Ping", attributes: { count: 2.5, target: "x" } },
        { guid: 3, type: "linux::Application", attributes: { colour: "red" } },
        { guid: 4, type: "sim::Nope" },
      ],
      connections: [
        { source: 2, target: 1 },
        { source: 2, target: 9 },
      ],
      conditions: [{ group: [2], action: "START", after: [2], state: "STARTED" }],
    };
    const problems = validateDocument(bad).map((p) => `${p.path}: ${p.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'resources[0].attributes.port: expected an integer between 1 and 65535, got "22"',
        "resources[1].attributes.count: expected an integer ≥ 1, got 2.5",
        expect.stringMatching(/^resources\[2\]\.attributes\.colour: linux::Application has no attribute "colour"/),
        'resources[2].attributes.command: required: linux::Application needs a value for "command"',
        "resources[2]: linux::Application (guid 3) needs a host connection (has 0)",
        expect.stringMatching(/^resources\[3\]\.type: unknown resource type "sim::Nope"/),
        "connections[1].target: unknown guid 9",
        "conditions[0].after: guid 2 cannot wait on itself",
      ]),
    );
    const e = thrown(() => ExperimentController.fromDocument(bad));
    expect(e.code).toBe("INVALID_DOCUMENT");
    expect(e.problems!.length).toBe(problems.length);
    expect(e.message).toContain("resources[1].attributes.count: expected an integer");
  });

  it("reports shape errors from the schema with paths", () => {
    const problems = validateDocument({ format: "nepi-experiment@2", name: "", resources: [{ guid: -1, type: "x" }] });
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(["format", "name", "resources[0].guid", "resources[0].type"]));
    expect(problems.find((p) => p.path === "format")!.message).toBe('expected "nepi-experiment@1"');
  });

  it("still checks the well-formed parts of a malformed document", () => {
    const problems = validateDocument({
      format: "nepi-experiment@1",
      name: "",
      resources: [
        { guid: 1, type: "linux::Node", attributes: { port: "22" } },
        { guid: "two", type: "sim::Task" },
      ],
      connections: [{ source: 1, target: 5 }],
    }).map((p) => `${p.path}: ${p.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        "name: expected a name",
        expect.stringMatching(/^resources\[1\]\.guid: /),
        'resources[0].attributes.port: expected an integer between 1 and 65535, got "22"',
        "connections[0].target: unknown guid 5",
      ]),
    );
  });

  it("reports a condition cycle as a problem", () => {
    const cyclic = {
      ...doc,
      conditions: [
        { group: [3], action: "START", after: [2], state: "STARTED" },
        { group: [2], action: "START", after: [3], state: "STARTED" },
      ],
    };
    const problems = validateDocument(cyclic);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.code).toBe("CONDITION_CYCLE");
    expect(problems[0]!.message).toMatch(/guids (2 → 3|3 → 2) → /);
  });

  it("makes a dry run: the same design under the same rules, every host-bound resource simulated", async () => {
    // This entry has no linux::* managers: a dry run reaches no host, it needs none.
    const ec = ExperimentController.fromDocument(doc, { dryRun: { taskDuration: "0s" } });
    ec.deploy();
    await ec.waitFinished([2, 3], { timeout: "5s" });
    expect(ec.rtype(2)).toBe("linux::Application");
    const firstDiscovered = (g: number) => ec.timeline().findIndex((e) => e.guid === g && e.state === "DISCOVERED");
    const ready = (g: number) => ec.timeline().findIndex((e) => e.guid === g && e.state === "READY");
    // The application deploys only after its node is READY, as in the real run.
    expect(firstDiscovered(2)).toBeGreaterThan(ready(1));
    const started = (g: number) => ec.timeline().find((e) => e.guid === g && e.state === "STARTED")!.at;
    // The node starts together with its application, once that is READY too, as in the real run.
    expect(ec.timeline().findIndex((e) => e.guid === 1 && e.state === "STARTED")).toBeGreaterThan(ready(2));
    expect(started(3) - started(2)).toBeGreaterThanOrEqual(1000);
    expect(ec.state(1)).toBe("STARTED"); // the node runs until released
    expect(String(await ec.trace(2, "stdout"))).toMatch(/ STARTED\n.* FINISHED\n$/);
    await ec.shutdown();
  });
});
