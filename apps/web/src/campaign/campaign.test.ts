import { describe, expect, it } from "vitest";
import { getResourceType, type CampaignDetail, type CampaignRunInfo, type CampaignSummaryRow } from "@nepi/core";
import { NEW_CAMPAIGN, parseSweepValues, withSweep } from "./edit";
import { applyCampaignEvent, campaignChart, campaignGrid } from "./feed";
import { createDesignerStore } from "../designer/store";

const attr = (rtype: string, name: string) => getResourceType(rtype).attributes.find((a) => a.name === name)!;

describe("sweeping an attribute", () => {
  it("parses the values as the attribute's type has them, and names the one it refuses", () => {
    expect(parseSweepValues(attr("sim::Task", "duration"), "100ms, 2s")).toEqual({ values: ["100ms", "2s"] });
    expect(parseSweepValues(attr("sim::Task", "duration"), "100ms, soon")).toEqual({ error: expect.stringMatching(/^soon: /) });
    expect(parseSweepValues(attr("linux::Ping", "count"), "1,3")).toEqual({ values: [1, 3] });
    expect(parseSweepValues(attr("linux::Ping", "count"), "1, x")).toEqual({ error: '"x" is not a number' });
    expect(parseSweepValues(attr("linux::Ping", "count"), " , ")).toEqual({ error: expect.stringMatching(/at least one value/) });
  });

  it("adds a sweep to a new campaign, and replaces the sweep of the same attribute", () => {
    const one = withSweep(undefined, { resource: "task", attribute: "duration", values: ["1s"] });
    expect(one).toEqual({ ...NEW_CAMPAIGN, parameters: [{ resource: "task", attribute: "duration", values: ["1s"] }] });
    const two = withSweep(withSweep(one, { resource: "task", attribute: "deployTime", values: ["0s"] }), {
      resource: "task",
      attribute: "duration",
      values: ["2s", "3s"],
    });
    expect(two.parameters.map((p) => [p.attribute, p.values])).toEqual([
      ["duration", ["2s", "3s"]],
      ["deployTime", ["0s"]],
    ]);
  });

  it("is kept in the design, undone in one step, and checked by core's validation", () => {
    const design = createDesignerStore();
    const guid = design.getState().addResource("sim::Task", { x: 0, y: 0 })!;
    const label = design.getState().nodes[0]!.data.label;
    design.getState().setCampaign(withSweep(undefined, { resource: label, attribute: "duration", values: ["1s"] }));
    expect(design.getState().toDocument().campaign?.parameters).toEqual([
      { resource: label, attribute: "duration", values: ["1s"] },
    ]);
    design.getState().setLabel(guid, "renamed");
    expect(design.getState().problems.map((p) => p.path)).toContain("campaign.parameters[0].resource");
    design.getState().undo();
    design.getState().undo();
    expect(design.getState().toDocument().campaign).toBeUndefined();
  });
});

const run = (point: number, n: number, status: CampaignRunInfo["status"], runId = `r${point}-${n}`): CampaignRunInfo => ({
  point,
  run: n,
  runId,
  status,
  parameters: {},
  metrics: {},
});
const stats = (point: number, x: string | number, mean: number, n = 3): CampaignSummaryRow => ({
  point,
  parameters: { "task.duration": x },
  metric: "took",
  n,
  failed: 0,
  mean,
  std: 1,
  ciLow: mean - 2,
  ciHigh: mean + 2,
});
const detail: CampaignDetail = {
  campaignId: "c",
  experimentId: "e",
  experimentName: "x",
  status: "RUNNING",
  startedAt: 0,
  points: 2,
  counts: { ok: 0, failed: 0, running: 0, stopped: 0 },
  parameters: ["task.duration"],
  metrics: ["took"],
  tracked: "took",
  confidence: 0.95,
  repetitions: { count: 3 },
  pointList: [
    { point: 1, values: { "task.duration": "100ms" } },
    { point: 2, values: { "task.duration": "300ms" } },
  ],
  runs: [],
  summary: [],
};

describe("the campaign as it runs", () => {
  it("fills the grid from the events: pending cells, then each run as it starts and ends", () => {
    let c = applyCampaignEvent(null, { type: "snapshot", seq: 0, campaign: detail })!;
    expect(campaignGrid(c).map((r) => r.cells.map((x) => x.status))).toEqual([
      ["pending", "pending", "pending"],
      ["pending", "pending", "pending"],
    ]);
    c = applyCampaignEvent(c, { type: "run", seq: 1, run: run(1, 1, "running"), summary: [] })!;
    c = applyCampaignEvent(c, { type: "run", seq: 2, run: run(1, 1, "ok"), summary: [stats(1, "100ms", 100, 1)] })!;
    c = applyCampaignEvent(c, { type: "run", seq: 3, run: run(1, 2, "running"), summary: [stats(1, "100ms", 100, 1)] })!;
    expect(c.counts).toEqual({ ok: 1, failed: 0, running: 1, stopped: 0 });
    const grid = campaignGrid(c);
    expect(grid[0]!.label).toBe("task.duration=100ms");
    expect(grid[0]!.cells.map((x) => [x.status, x.runId])).toEqual([
      ["ok", "r1-1"],
      ["running", "r1-2"],
      ["pending", undefined],
    ]);
    c = applyCampaignEvent(c, { type: "status", seq: 4, status: "STOPPED", reason: "stopped by the user", at: 5 })!;
    expect(c).toMatchObject({ status: "STOPPED", reason: "stopped by the user", endedAt: 5 });
    // Resumed: running again, neither ended nor stopped any more.
    c = applyCampaignEvent(c, { type: "status", seq: 5, status: "RUNNING", at: 6 })!;
    expect(c.status).toBe("RUNNING");
    expect(c).not.toHaveProperty("endedAt");
    expect(c).not.toHaveProperty("reason");
  });

  it("charts the mean and its interval against the parameter: text values at 1, 2…, numbers sorted, gaps where no run succeeded", () => {
    const text = campaignChart([stats(1, "100ms", 100), stats(2, "300ms", 300)], "took", "task.duration");
    expect(text).toEqual({
      x: [1, 2],
      ticks: ["100ms", "300ms"],
      series: [{ label: "", mean: [100, 300], low: [98, 298], high: [102, 302] }],
    });
    const numbers = campaignChart([stats(1, 5, 50), stats(2, 1, 10, 0), stats(3, 2, 20, 1)], "took", "task.duration");
    expect(numbers.x).toEqual([1, 2, 5]);
    expect(numbers.series[0]!.mean).toEqual([null, 20, 50]);
  });
});
