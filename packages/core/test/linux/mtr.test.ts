import { afterEach, describe, expect, it } from "vitest";
import type { ExperimentController } from "../../src/node.js";
import { newController, nodeAttributes } from "../support/linux.js";

let ec: ExperimentController | undefined;
afterEach(async () => {
  await ec?.shutdown();
  ec = undefined;
});

interface MtrReport {
  report: { mtr: { dst: string; tests: number }; hubs: Array<{ host: string; Snt: number; "Loss%": number; Avg: number }> };
}

describe("linux::Mtr", () => {
  it("reports each hop to its target over the cycles asked for, as JSON", async () => {
    ec = newController("mtr");
    const node = ec.registerResource("linux::Node", nodeAttributes("ssh"));
    const mtr = ec.registerResource("linux::Mtr", { target: "127.0.0.1", cycles: 3, interval: 0.2, maxHops: 4, gracetime: 1 });
    ec.registerConnection(mtr, node);
    ec.registerTrace(mtr, "stdout");
    ec.deploy();
    await ec.waitFinished(mtr, { timeout: "30s" });
    expect(ec.state(mtr)).toBe("FINISHED");
    const report = (JSON.parse(String(await ec.trace(mtr, "stdout"))) as MtrReport).report;
    expect(report.mtr).toMatchObject({ dst: "127.0.0.1", tests: 3 });
    expect(report.hubs.at(-1)).toMatchObject({ host: "127.0.0.1", Snt: 3, "Loss%": 0 });
  });

  it("fails with mtr's own words when the target cannot be resolved (mtr itself exits 0)", async () => {
    ec = newController("mtr-fail");
    const node = ec.registerResource("linux::Node", nodeAttributes("ssh"));
    const mtr = ec.registerResource("linux::Mtr", { target: "no-such-host.invalid", cycles: 1 });
    ec.registerConnection(mtr, node);
    ec.deploy();
    await expect(ec.waitFinished(mtr, { timeout: "30s" })).rejects.toThrow();
    expect(ec.state(mtr)).toBe("FAILED");
    expect(ec.failure(mtr)).toMatch(/exit code 1: mtr: Failed to resolve host: no-such-host\.invalid/);
  });
});
