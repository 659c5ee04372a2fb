import { describe, expect, it } from "vitest";
import { formatBitRate, parseRate, shapingLabel } from "./label.js";

describe("shapingLabel", () => {
  it("reads rate, delay and loss as people write them", () => {
    expect(shapingLabel({ rate: "10mbit", delay: "20ms", loss: 1 })).toBe("10 Mbit/s · 20 ms · 1 %");
    expect(shapingLabel({ rate: "512kbit" })).toBe("512 kbit/s");
    expect(shapingLabel({ rate: "1gbit", delay: "1.5s" })).toBe("1 Gbit/s · 1.5 s");
    expect(shapingLabel({ rate: "800bit" })).toBe("800 bit/s");
    expect(shapingLabel({ rate: "2Mbit" })).toBe("2 Mbit/s");
    expect(shapingLabel({ loss: 0.5 })).toBe("0.5 %");
  });

  it("writes the jitter with the delay", () => {
    expect(shapingLabel({ delay: "20ms", jitter: "5ms" })).toBe("20 ms ± 5 ms");
    expect(shapingLabel({ delay: "100us" })).toBe("100 µs");
  });

  it("says nothing of an unlimited, undelayed, lossless link", () => {
    expect(shapingLabel({})).toBe("");
    expect(shapingLabel({ rate: "", delay: "", jitter: "", loss: 0 })).toBe("");
    expect(shapingLabel({ delay: "0ms", loss: 0 })).toBe("");
  });

  it("shows a value it does not understand as written", () => {
    expect(shapingLabel({ rate: "fast" })).toBe("fast");
    expect(shapingLabel({ delay: "soon" })).toBe("soon");
  });
});

describe("parseRate", () => {
  it("knows tc's units, bps being bytes", () => {
    expect(parseRate("10mbit")).toBe(10e6);
    expect(parseRate("1kibit")).toBe(1024);
    expect(parseRate("1mbps")).toBe(8e6);
    expect(parseRate("1000")).toBe(1000);
    expect(parseRate("10 furlongs")).toBeUndefined();
    expect(parseRate("")).toBeUndefined();
  });

  it("formats bit rates with 3 significant digits", () => {
    expect(formatBitRate(9_612_345)).toBe("9.61 Mbit/s");
    expect(formatBitRate(0)).toBe("0 bit/s");
  });
});
