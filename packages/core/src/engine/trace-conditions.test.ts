import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ExperimentController,
  validateDocument,
  type ExperimentDocumentInput,
  type ResourceContext,
  type ResourceManager,
} from "../index.js";
import { defineResourceType, registerResourceManager } from "../catalog/registry.js";
import { CRITICAL_ATTRIBUTE } from "../catalog/common.js";
import { LineMatcher, MAX_LINE_CHARS } from "./line-matcher.js";

/** A resource whose stdout the test writes, chunk by chunk, and that ends when the test says. */
class Printer implements ResourceManager {
  text = "";
  follows = 0;
  private readonly listeners = new Set<(chunk: string, offset: number) => void>();
  constructor(readonly ctx: ResourceContext) {
    printers.set(ctx.guid, this);
  }
  print(chunk: string): void {
    const offset = this.text.length;
    this.text += chunk;
    for (const l of this.listeners) l(chunk, offset);
  }
  exit(): void {
    this.ctx.finished();
  }
  trace(): string {
    return this.text;
  }
  /** How long a follow takes to deliver what was already written (a remote read); 0: at once. */
  latencyMs = 0;
  followTrace(_name: string, offset: number, onChunk: (chunk: string, offset: number) => void): () => void {
    this.follows++;
    const written = this.text.slice(offset);
    if (written && this.latencyMs === 0) onChunk(written, offset);
    else if (written) setTimeout(() => onChunk(written, offset), this.latencyMs);
    this.listeners.add(onChunk);
    return () => {
      this.follows--;
      this.listeners.delete(onChunk);
    };
  }
}
const printers = new Map<number, Printer>();

beforeAll(() => {
  defineResourceType({
    rtype: "test::Printer",
    backend: "test",
    help: "Prints what the test tells it to.",
    attributes: [CRITICAL_ATTRIBUTE],
    traces: [{ name: "stdout", help: "What it printed." }],
    roles: [],
    connections: [],
    finishes: "always",
    platform: "any",
    look: { abbreviation: "PR", group: "test", color: "#cccccc" },
    charts: [],
  });
  registerResourceManager("test::Printer", (ctx) => new Printer(ctx));
});

let t0 = 0;
beforeEach(() => {
  vi.useFakeTimers();
  t0 = Date.now();
  printers.clear();
});
afterEach(() => {
  vi.useRealTimers();
});

function at(ec: ExperimentController, guid: number, state: string): number | undefined {
  const e = ec.timeline().find((x) => x.guid === guid && x.state === state);
  return e && e.at - t0;
}

/** A server printer and a client task started on a match of the server's stdout. */
function serverAndClient(wait: { matches: string; timeout?: string }, clientCritical = true) {
  const ec = new ExperimentController();
  const server = ec.registerResource("test::Printer", {}, { label: "server" });
  ec.registerTrace(server, "stdout");
  const client = ec.registerResource("sim::Task", { duration: "1s", critical: clientCritical }, { label: "client" });
  ec.registerCondition(client, "START", server, { trace: "stdout", ...wait });
  return { ec, server, client };
}

describe("LineMatcher", () => {
  it("matches a line split across chunks, and the line still being written", () => {
    const m = new LineMatcher(/listening on/);
    expect(m.push("starting\nlisten")).toBe(false);
    expect(m.push("ing on port 80")).toBe(true);
    expect(m.lines).toBe(1);
  });

  it("matches line by line: ^ and $ are a line's ends, a CRLF's CR is not part of the line", () => {
    const m = new LineMatcher(/^ready$/);
    expect(m.push("not ready\r\n")).toBe(false);
    expect(m.push("ready\r\n")).toBe(true);
  });

  it("keeps only the end of an endless line", () => {
    const m = new LineMatcher(/^x/);
    expect(m.push("x" + "y".repeat(MAX_LINE_CHARS))).toBe(false); // the start has been dropped
    expect(m.push("\n")).toBe(false);
    expect(m.push("xz\n")).toBe(true);
  });
});

describe("conditions on what a resource prints", () => {
  it("say what they wait for: the trace, the pattern and the lines seen so far without a match", async () => {
    const { ec, server, client } = serverAndClient({ matches: "listening on" });
    ec.deploy();
    await vi.advanceTimersByTimeAsync(0);
    printers.get(server)!.print("booting\nloading config\n");
    await vi.advanceTimersByTimeAsync(0);
    const [reason] = ec.waitingOn(client);
    expect(reason).toMatchObject({ kind: "condition", action: "START", after: [server] });
    expect(reason!.text).toBe(`START after stdout of guid ${server} matches /listening on/: 2 lines seen, no match`);
    printers.get(server)!.print("listening on :80\n");
    await vi.advanceTimersByTimeAsync(0);
    expect(ec.state(client)).toBe("STARTED");
    await ec.shutdown();
  });

  it("starts the client on the match, not on the server's start, and matches across chunk boundaries", async () => {
    const { ec, server, client } = serverAndClient({ matches: "listening on" });
    ec.deploy();
    await vi.advanceTimersByTimeAsync(0);
    expect(ec.state(server)).toBe("STARTED");
    expect(ec.state(client)).toBe("READY");
    await vi.advanceTimersByTimeAsync(1000);
    printers.get(server)!.print("booting\nlisten");
    await vi.advanceTimersByTimeAsync(500);
    expect(ec.state(client)).toBe("READY");
    printers.get(server)!.print("ing on :80\n");
    await vi.advanceTimersByTimeAsync(0);
    expect(ec.state(client)).toBe("STARTED");
    expect(at(ec, client, "STARTED")).toBe(1500);
    // Matched: the follow ended.
    expect(printers.get(server)!.follows).toBe(0);
    await ec.shutdown();
  });

  it("counts the delay from the match", async () => {
    const ec = new ExperimentController();
    const server = ec.registerResource("test::Printer", {});
    ec.registerTrace(server, "stdout");
    const client = ec.registerResource("sim::Task", { duration: "1s" });
    ec.registerCondition(client, "START", server, { trace: "stdout", matches: "ready" }, "2s");
    ec.deploy();
    await vi.advanceTimersByTimeAsync(300);
    printers.get(server)!.print("ready\n");
    await vi.advanceTimersByTimeAsync(5000);
    expect(at(ec, client, "STARTED")).toBe(2300);
    await ec.shutdown();
  });

  it("matches what was printed before the condition was registered (the trace is read from its start)", async () => {
    const ec = new ExperimentController();
    const server = ec.registerResource("test::Printer", {});
    ec.registerTrace(server, "stdout");
    const client = ec.registerResource("sim::Task", { duration: "1s" });
    ec.deploy(server);
    await vi.advanceTimersByTimeAsync(0);
    printers.get(server)!.print("ready\n");
    ec.registerCondition(client, "START", server, { trace: "stdout", matches: "^ready$" });
    ec.deploy(client);
    await vi.advanceTimersByTimeAsync(0);
    expect(ec.state(client)).toBe("STARTED");
    await ec.shutdown();
  });

  it("fails the waiting resource past the timeout, naming the trace and the pattern", async () => {
    const { ec, server, client } = serverAndClient({ matches: "listening on", timeout: "2s" }, false);
    ec.deploy();
    await vi.advanceTimersByTimeAsync(100);
    printers.get(server)!.print("starting\n");
    await vi.advanceTimersByTimeAsync(1899);
    expect(ec.state(client)).toBe("READY");
    await vi.advanceTimersByTimeAsync(1);
    expect(ec.state(client)).toBe("FAILED");
    expect(ec.failure(client)).toBe(
      "cannot START: it waits for START after guid 1 stdout ~ /listening on/, but stdout of guid 1 (server) did not match /listening on/ within 2s of its start (1 line seen)",
    );
    expect(at(ec, client, "FAILED")).toBe(2000);
    expect(printers.get(server)!.follows).toBe(0);
    // The client was not critical: the server runs on.
    expect(ec.state(server)).toBe("STARTED");
    await ec.shutdown();
  });

  it("a server that printed the match long before the condition was armed passes its timeout", async () => {
    const ec = new ExperimentController();
    const server = ec.registerResource("test::Printer", {});
    ec.registerTrace(server, "stdout");
    ec.deploy(server);
    await vi.advanceTimersByTimeAsync(0);
    const p = printers.get(server)!;
    p.latencyMs = 50;
    p.print("ready\n");
    await vi.advanceTimersByTimeAsync(10_000);
    const late = ec.registerResource("sim::Task", { duration: "1s", critical: false });
    ec.registerCondition(late, "START", server, { trace: "stdout", matches: "ready", timeout: "2s" });
    const never = ec.registerResource("sim::Task", { duration: "1s", critical: false });
    ec.registerCondition(never, "START", server, { trace: "stdout", matches: "listening", timeout: "2s" });
    ec.deploy([late, never]);
    await vi.advanceTimersByTimeAsync(100);
    expect(ec.state(late)).toBe("STARTED");
    expect(ec.failure(never)).toMatch(
      /stdout of guid 1 \(test::Printer\) did not match \/listening\/ within 2s of its start \(1 line seen\)$/,
    );
    await ec.shutdown();
  });

  it("fails at once when the traced resource ended without printing a match", async () => {
    const { ec, server, client } = serverAndClient({ matches: "listening on" }, false);
    ec.deploy();
    await vi.advanceTimersByTimeAsync(0);
    printers.get(server)!.print("port in use\n");
    printers.get(server)!.exit();
    await vi.advanceTimersByTimeAsync(0);
    expect(ec.state(client)).toBe("FAILED");
    expect(ec.failure(client)).toMatch(
      /guid 1 \(server\) is FINISHED and its stdout never matched \/listening on\/ \(1 line seen\)$/,
    );
    await ec.shutdown();
  });

  it("still matches what the follow had not delivered when the resource ended (one read of the whole trace)", async () => {
    const { ec, server, client } = serverAndClient({ matches: "ready" });
    ec.deploy();
    await vi.advanceTimersByTimeAsync(0);
    const p = printers.get(server)!;
    p.text += "ready\n"; // written, not pushed yet
    p.exit();
    await vi.advanceTimersByTimeAsync(0);
    expect(ec.state(client)).toBe("STARTED");
    await ec.shutdown();
  });

  it("waits for every awaited resource's trace, and for a state beyond STARTED as well", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("test::Printer", {});
    const b = ec.registerResource("test::Printer", {});
    for (const g of [a, b]) ec.registerTrace(g, "stdout");
    const client = ec.registerResource("sim::Task", { duration: "1s" });
    ec.registerCondition(client, "START", [a, b], { trace: "stdout", matches: "done", state: "FINISHED" });
    ec.deploy();
    await vi.advanceTimersByTimeAsync(100);
    printers.get(a)!.print("done\n");
    printers.get(b)!.print("done\n");
    await vi.advanceTimersByTimeAsync(100);
    expect(ec.state(client)).toBe("READY"); // matched, not FINISHED yet
    printers.get(a)!.exit();
    await vi.advanceTimersByTimeAsync(100);
    expect(ec.state(client)).toBe("READY");
    printers.get(b)!.exit();
    await vi.advanceTimersByTimeAsync(0);
    expect(at(ec, client, "STARTED")).toBe(300);
    await ec.shutdown();
  });

  it("works on sim::Task's own stdout (one line per state), in the browser-safe engine", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { duration: "700ms" });
    ec.registerTrace(a, "stdout");
    const b = ec.registerResource("sim::Task", { duration: "1s" });
    ec.registerCondition(b, "START", a, { trace: "stdout", matches: " FINISHED$" });
    ec.deploy();
    await vi.advanceTimersByTimeAsync(5000);
    expect(at(ec, b, "STARTED")).toBe(700);
    await ec.shutdown();
  });

  it("follows nothing once the experiment is shut down", async () => {
    const { ec, server } = serverAndClient({ matches: "never", timeout: "10s" });
    ec.deploy();
    await vi.advanceTimersByTimeAsync(0);
    expect(printers.get(server)!.follows).toBe(1);
    await ec.shutdown();
    expect(printers.get(server)!.follows).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("in a dry run, a simulated resource's trace counts as matching once it started", async () => {
    const doc: ExperimentDocumentInput = {
      format: "nepi-experiment@1",
      name: "dry",
      resources: [
        { guid: 1, type: "linux::Node", attributes: { hostname: "localhost" } },
        { guid: 2, type: "linux::Application", attributes: { command: "sleep 1; echo ready; sleep 30" }, traces: ["stdout"] },
        { guid: 3, type: "linux::Application", attributes: { command: "echo client" } },
      ],
      connections: [
        { source: 2, target: 1 },
        { source: 3, target: 1 },
      ],
      conditions: [{ group: [3], action: "START", after: [2], trace: "stdout", matches: "ready", delay: "1s" }],
    };
    const ec = ExperimentController.fromDocument(doc, { dryRun: { taskDuration: "5s" } });
    ec.deploy();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(at(ec, 3, "STARTED")! - at(ec, 2, "STARTED")!).toBe(1000);
    await ec.shutdown();
  });
});

describe("trace-match conditions in documents", () => {
  const base = (condition: Record<string, unknown>, traces: string[] = ["stdout"]): ExperimentDocumentInput => ({
    format: "nepi-experiment@1",
    name: "t",
    resources: [
      { guid: 1, type: "sim::Task", attributes: {}, traces },
      { guid: 2, type: "sim::Task", attributes: { duration: "1s" } },
    ],
    conditions: [{ group: [2], action: "START", after: [1], ...condition }] as ExperimentDocumentInput["conditions"],
  });
  const problems = (doc: unknown) => validateDocument(doc).map((p) => `${p.path}: ${p.message}`);

  it("is valid without a state, and round-trips through the controller (state STARTED made explicit)", () => {
    const doc = base({ trace: "stdout", matches: "STARTED", timeout: "30s", delay: "0s" });
    expect(problems(doc)).toEqual([]);
    const back = ExperimentController.fromDocument(doc).toDocument();
    expect(back.conditions).toEqual([
      {
        group: [2],
        action: "START",
        after: [1],
        state: "STARTED",
        trace: "stdout",
        matches: "STARTED",
        timeout: "30s",
        delay: "0s",
      },
    ]);
    expect(problems(back)).toEqual([]);
  });

  it("names the field of each mistake", () => {
    expect(problems(base({ trace: "stdout", matches: "(unclosed" }))).toEqual([
      "conditions[0].matches: not a regular expression: Invalid regular expression: /(unclosed/: Unterminated group",
    ]);
    expect(problems(base({ trace: "stdout" }))).toEqual(['conditions[0].matches: expected a pattern to match on trace "stdout"']);
    expect(problems(base({ state: "STARTED", matches: "x" }))).toEqual([
      'conditions[0].trace: expected the trace the pattern is matched on (e.g. "stdout")',
    ]);
    expect(problems(base({ state: "STARTED", timeout: "2s" }))).toEqual([
      "conditions[0].timeout: only a condition on a trace has a timeout",
    ]);
    expect(problems(base({}))).toEqual(["conditions[0].state: expected a state to wait for (or a trace and a pattern)"]);
    expect(problems(base({ trace: "stdout", matches: "x", timeout: "soon" }))).toEqual([
      "conditions[0].timeout: expected a time string such as 500ms, 2s, 1.5m, 1h, 10us",
    ]);
    expect(problems(base({ state: "FAILED", trace: "stdout", matches: "x" }))).toEqual([
      "conditions[0].state: a condition on a trace waits for a state reached by running (STARTED to FINISHED), not FAILED",
    ]);
    expect(problems(base({ trace: "pcap", matches: "x" }))).toEqual([
      'conditions[0].trace: guid 1: sim::Task has no trace "pcap" (its traces: stdout)',
    ]);
    expect(problems(base({ trace: "stdout", matches: "x" }, []))).toEqual([
      'conditions[0].trace: trace "stdout" of sim::Task (guid 1) is not enabled: enable it on the resource to wait on it',
    ]);
  });

  it("orders like a wait for STARTED: a cycle through a trace-match condition is found", () => {
    const doc = base({ trace: "stdout", matches: "x" });
    (doc.conditions as unknown[]).push({ group: [1], action: "START", after: [2], state: "STARTED" });
    expect(problems(doc)).toEqual([
      "conditions[0]: condition cycle: guids 1 → 2 → 1 wait on each other, so none of them could ever proceed",
    ]);
  });

  it("a match comes no earlier than STARTED, even with an earlier state beside it", () => {
    const doc = base({ state: "READY", trace: "stdout", matches: "x" });
    (doc.conditions as unknown[]).push({ group: [1], action: "START", after: [2], state: "STARTED" });
    expect(problems(doc)).toEqual([
      "conditions[0]: condition cycle: guids 1 → 2 → 1 wait on each other, so none of them could ever proceed",
    ]);
  });

  it("the library refuses the same mistakes with the field", () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", {});
    const b = ec.registerResource("sim::Task", {});
    const refusal = (wait: Parameters<ExperimentController["registerCondition"]>[3]) => {
      try {
        ec.registerCondition(b, "START", a, wait);
      } catch (err) {
        return `${(err as { path?: string }).path}: ${(err as Error).message}`;
      }
      return "accepted";
    };
    expect(refusal({ trace: "stdout", matches: "x" })).toBe(
      'trace: condition trace: trace "stdout" of guid 1 (sim::Task) is not enabled (registerTrace it first)',
    );
    ec.registerTrace(a, "stdout");
    expect(refusal({ trace: "nope", matches: "x" })).toBe(
      'trace: condition trace: guid 1 (sim::Task): sim::Task has no trace "nope" (its traces: stdout)',
    );
    expect(refusal({ trace: "stdout", matches: "[" })).toBe(
      "matches: condition matches: not a regular expression: Invalid regular expression: /[/: Unterminated character class",
    );
    expect(refusal({ trace: "stdout", matches: /x/i })).toBe(
      "matches: condition matches: /x/i: flags are not kept; write the pattern without them",
    );
    expect(refusal({ trace: "stdout", matches: "x", timeout: "soon" })).toMatch(/^timeout: /);
    expect(refusal({ trace: "stdout", matches: "x", state: "FAILED" })).toBe(
      "state: condition state: a condition on a trace waits for a state reached by running (STARTED to FINISHED), not FAILED",
    );
    expect(ec.toDocument().conditions).toEqual([]);
    expect(refusal({ trace: "stdout", matches: /listening on/, timeout: 500 })).toBe("accepted");
    expect(ec.toDocument().conditions).toEqual([
      { group: [2], action: "START", after: [1], state: "STARTED", trace: "stdout", matches: "listening on", timeout: "500ms" },
    ]);
  });
});
