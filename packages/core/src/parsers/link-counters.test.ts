import { describe, expect, it } from "vitest";
import { LinkCountersFollower, linkRate, parseLinkCounters } from "./link-counters.js";

const TRACE = ["1700000000000 0 0 1", "1700000001000 1250000 62500 1", "1700000002000 2500000 125000 0", ""].join("\n");

describe("link counters", () => {
  it("parses every complete sample line", () => {
    expect(parseLinkCounters(TRACE)).toEqual([
      { at: 1700000000000, forward: 0, backward: 0, up: true },
      { at: 1700000001000, forward: 1250000, backward: 62500, up: true },
      { at: 1700000002000, forward: 2500000, backward: 125000, up: false },
    ]);
    // A last line still being written is not a sample yet.
    expect(parseLinkCounters("1700000000000 0 0 1\n1700000001000 12")).toHaveLength(1);
    expect(parseLinkCounters("garbage\n\n1 2 3 1\n")).toEqual([{ at: 1, forward: 2, backward: 3, up: true }]);
  });

  it("gives bits per second each way between two samples", () => {
    const [a, b] = parseLinkCounters(TRACE);
    expect(linkRate(a!, b!)).toEqual({ at: 1700000001000, forwardBps: 10e6, backwardBps: 0.5e6, up: true });
    // Half a second apart: twice the rate.
    expect(linkRate({ ...a!, at: b!.at - 500 }, b!)?.forwardBps).toBe(20e6);
    expect(linkRate(b!, b!)).toBeUndefined();
    // A counter that went down restarted from zero.
    expect(linkRate(b!, { at: b!.at + 1000, forward: 1000, backward: 0, up: true })?.forwardBps).toBe(8000);
  });

  it("follows the trace chunk by chunk, lines cut anywhere", () => {
    const f = new LinkCountersFollower();
    expect(f.push("1700000000000 0 0 1\n17000000010")).toBe(true);
    expect(f.rate).toBeUndefined();
    expect(f.push("00 1250000 62500 1")).toBe(false);
    expect(f.push("\n")).toBe(true);
    expect(f.rate).toMatchObject({ forwardBps: 10e6, backwardBps: 0.5e6, up: true });
    f.push("1700000002000 2500000 125000 0\n");
    expect(f.last?.up).toBe(false);
    expect(f.rate?.up).toBe(false);
  });
});
