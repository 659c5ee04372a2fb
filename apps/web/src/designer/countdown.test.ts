import { describe, expect, it } from "vitest";
import { countdownLabel } from "./countdown";

describe("countdownLabel", () => {
  it("counts down in tenths of a second, rounding up so it never says 0.0 before the end", () => {
    expect(countdownLabel("START", 1400)).toBe("START in 1.4 s");
    expect(countdownLabel("START", 1401)).toBe("START in 1.5 s");
    expect(countdownLabel("STOP", 3000)).toBe("STOP in 3.0 s");
    expect(countdownLabel("START", 1)).toBe("START in 0.1 s");
  });
  it("says now once the delay is over, and minutes for long delays", () => {
    expect(countdownLabel("START", 0)).toBe("START now");
    expect(countdownLabel("START", -50)).toBe("START now");
    expect(countdownLabel("DEPLOY", 60_000)).toBe("DEPLOY in 1 min 00 s");
    expect(countdownLabel("DEPLOY", 125_500)).toBe("DEPLOY in 2 min 06 s");
  });
});
