import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ExperimentController,
  MAX_TIME_MS,
  NepiError,
  parseTime,
  validateDocument,
  type ExperimentDocumentInput,
} from "../index.js";
import { MAX_TIMER_MS } from "./timer.js";

const DAY = 24 * 3_600_000;

function doc(duration: string, delay: string): ExperimentDocumentInput {
  return {
    format: "nepi-experiment@1",
    name: "long",
    resources: [
      { guid: 1, type: "sim::Task", attributes: { duration } },
      { guid: 2, type: "sim::Task", attributes: { duration: "1s" } },
    ],
    conditions: [{ group: [2], action: "START", after: [1], state: "STARTED", delay }],
  };
}

describe("time strings beyond the maximum", () => {
  it("are refused with the path of the field that holds them", () => {
    const problems = validateDocument(doc("1" + "0".repeat(400) + "s", "99999999999h")).map((p) => `${p.path}: ${p.message}`);
    expect(problems).toContainEqual(
      expect.stringMatching(/^resources\[0\]\.attributes\.duration: expected a time string .* of at most 8760h, got "10{400}s"$/),
    );
    expect(problems).toContainEqual('conditions[0].delay: "99999999999h" is longer than the maximum of 365 days (8760h)');
    const long = validateDocument(doc("1s", "1" + "0".repeat(400) + "s")).map((p) => `${p.path}: ${p.message}`);
    expect(long).toEqual([
      'conditions[0].delay: "1000000000000000000000000000000000000000…" is longer than the maximum of 365 days (8760h)',
    ]);
    expect(() => ExperimentController.fromDocument(doc("99999999999h", "1s"))).toThrow(NepiError);
  });

  it("are refused by the engine's API too, naming the field", () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task");
    const b = ec.registerResource("sim::Task");
    expect(() => ec.registerCondition(b, "START", a, "STARTED", "99999999999h")).toThrow(
      /^delay: "99999999999h" is longer than the maximum/,
    );
    expect(() => ec.set(a, "duration", "9000h")).toThrow(/attribute "duration": expected a time string/);
    expect(() => parseTime(Infinity, "timeout")).toThrow(/^timeout: /);
    expect(parseTime("8760h")).toBe(MAX_TIME_MS);
  });
});

describe("delays longer than one Node timer", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a 30-day condition delay and a 40-day sim::Task duration end at their time, not before", async () => {
    expect(30 * DAY).toBeGreaterThan(MAX_TIMER_MS);
    const ec = ExperimentController.fromDocument(doc(`${40 * 24}h`, `${30 * 24}h`));
    const seen: string[] = [];
    ec.on("state", (e) => seen.push(`${e.guid} ${e.state}`));
    ec.deploy();
    await vi.advanceTimersByTimeAsync(0);
    expect(ec.state(1)).toBe("STARTED");
    expect(ec.state(2)).toBe("READY");
    // Node clamps a timer above 2^31-1 ms to 1 ms: a single setTimeout would have fired by now,
    // or re-armed itself every millisecond. A chain has one link pending at a time.
    const arms = vi.spyOn(globalThis, "setTimeout");
    await vi.advanceTimersByTimeAsync(1000);
    expect(ec.state(1)).toBe("STARTED");
    expect(ec.state(2)).toBe("READY");
    expect(arms.mock.calls.length).toBe(0);
    await vi.advanceTimersByTimeAsync(30 * DAY - 1001);
    expect(ec.state(2)).toBe("READY");
    expect(vi.getTimerCount()).toBeLessThanOrEqual(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(ec.state(2)).toBe("STARTED");
    await vi.advanceTimersByTimeAsync(10 * DAY - 1);
    // 40 days after it started, not before.
    expect(ec.state(1)).toBe("STARTED");
    await vi.advanceTimersByTimeAsync(1);
    expect(ec.state(1)).toBe("FINISHED");
    expect(seen).toContain("2 FINISHED");
    await ec.shutdown();
  });

  it("a wait's timeout longer than one Node timer does not time out early", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task");
    ec.deploy();
    let outcome = "pending";
    ec.waitFinished(a, { timeout: `${25 * 24}h` }).then(
      () => (outcome = "finished"),
      (e: Error) => (outcome = e.message),
    );
    await vi.advanceTimersByTimeAsync(25 * DAY - 1);
    expect(outcome).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toMatch(/timed out after 600h/);
    await ec.shutdown();
  });
});
