import { describe, expect, it } from "vitest";
import { validateDocument, type ExperimentDocumentInput } from "../index.js";
import { campaignPoints } from "./points.js";
import { converged, halfWidth, sampleStats, tQuantile } from "./stats.js";
import { extractMetric } from "./metrics.js";
import { CampaignSchema } from "../model/campaign.js";

describe("campaign statistics", () => {
  it("uses Student's t quantiles (table values), not 2σ/√n", () => {
    expect(tQuantile(0.975, 1)).toBeCloseTo(12.7062, 4);
    expect(tQuantile(0.975, 4)).toBeCloseTo(2.7764, 4);
    expect(tQuantile(0.995, 9)).toBeCloseTo(3.2498, 4);
    // 5 values, std 1.5811: half-width = 2.7764 · 1.5811 / √5
    expect(halfWidth([1, 2, 3, 4, 5], 0.95)).toBeCloseTo((2.7764451 * Math.sqrt(2.5)) / Math.sqrt(5), 6);
  });

  it("gives mean, sample std and the interval; converges only when the half-width is within relError", () => {
    expect(sampleStats([2, 4, 4, 4, 5, 5, 7, 9], 0.95)).toMatchObject({ n: 8, mean: 5, std: Math.sqrt(32 / 7) });
    expect(converged([7, 7, 7], 0.01, 0.95)).toBe(true);
    expect(converged([7], 0.01, 0.95)).toBe(false);
    expect(converged([100, 101, 99, 100, 100], 0.05, 0.95)).toBe(true);
    expect(converged([1, 100, 3, 70], 0.05, 0.95)).toBe(false);
  });
});

describe("campaign points and metrics", () => {
  it("crosses every parameter's values, the first varying slowest", () => {
    const campaign = CampaignSchema.parse({
      parameters: [
        { resource: "a", attribute: "x", values: [1, 2] },
        { resource: "b", attribute: "y", values: ["p", "q", "r"] },
      ],
      repetitions: { count: 1 },
    });
    const points = campaignPoints(campaign);
    expect(points).toHaveLength(6);
    expect(points[0]).toEqual({ point: 1, values: { "a.x": 1, "b.y": "p" } });
    expect(points[5]).toEqual({ point: 6, values: { "a.x": 2, "b.y": "r" } });
  });

  it("reads built-in extractors, regexes and durations; a missing value is an error, never a number", () => {
    const ping =
      "64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.040 ms\n\n--- 127.0.0.1 ping statistics ---\n" +
      "1 packets transmitted, 1 received, 0% packet loss, time 0ms\nrtt min/avg/max/mdev = 0.040/0.050/0.060/0.000 ms\n";
    const timeline = [
      { guid: 1, state: "STARTED", at: 1000 },
      { guid: 1, state: "FINISHED", at: 1250 },
    ] as never;
    const m = (o: object) => ({ name: "m", resource: "r", trace: "stdout", ...o });
    expect(extractMetric(m({ extract: "ping.rttAvg" }), { text: ping, timeline })).toEqual({ value: 0.05 });
    expect(extractMetric(m({ extract: "ping.loss" }), { text: ping, timeline })).toEqual({ value: 0 });
    expect(extractMetric(m({ extract: "duration" }), { timeline })).toEqual({ value: 250 });
    expect(extractMetric(m({ extract: "exitCode" }), { timeline })).toEqual({ value: 0 });
    expect(extractMetric(m({ extract: "exitCode" }), { timeline: [], failure: "exit code 3: boom" })).toEqual({ value: 3 });
    expect(extractMetric(m({ regex: "value=([0-9.]+)" }), { text: "x\nvalue=4.5\n", timeline })).toEqual({ value: 4.5 });
    expect(extractMetric(m({ regex: "value=([0-9.]+)" }), { text: "nothing", timeline })).toHaveProperty("error");
    expect(extractMetric(m({ extract: "ping.rttAvg" }), { text: "", timeline })).toHaveProperty("error");
  });
});

describe("campaign validation", () => {
  const doc = (campaign: unknown): ExperimentDocumentInput =>
    ({
      format: "nepi-experiment@1",
      name: "c",
      resources: [{ guid: 1, type: "sim::Task", label: "task", attributes: { duration: "10ms" }, traces: ["stdout"] }],
      campaign,
    }) as ExperimentDocumentInput;

  it("accepts a well-formed campaign", () => {
    expect(
      validateDocument(
        doc({
          parameters: [{ resource: "task", attribute: "duration", values: ["10ms", "20ms"] }],
          repetitions: { min: 3, max: 5, metric: "took", relError: 0.1, confidence: 0.95 },
          metrics: [{ name: "took", resource: "task", extract: "duration" }],
        }),
      ),
    ).toEqual([]);
  });

  it("names the field of each problem: labels, attributes, values, metrics, extractors", () => {
    const problems = validateDocument(
      doc({
        parameters: [
          { resource: "nope", attribute: "duration", values: ["1s"] },
          { resource: "task", attribute: "colour", values: [1] },
          { resource: "task", attribute: "failIn", values: ["none", "sometimes"] },
        ],
        repetitions: { min: 3, max: 5, metric: "missing", relError: 0.1, confidence: 0.95 },
        metrics: [
          { name: "took", resource: "task", extract: "duration" },
          { name: "took", resource: "task", extract: "duration" },
          { name: "log", resource: "task", trace: "stderr", regex: "(\\d+)" },
        ],
      }),
    );
    const at = problems.map((p) => p.path);
    expect(at).toEqual(
      expect.arrayContaining([
        "campaign.parameters[0].resource",
        "campaign.parameters[1].attribute",
        "campaign.parameters[2].values[1]",
        "campaign.metrics[1].name",
        "campaign.metrics[2].trace",
        "campaign.repetitions.metric",
      ]),
    );
    expect(problems.find((p) => p.path === "campaign.parameters[0].resource")?.message).toMatch(/no resource is labelled "nope"/);
  });

  it("rejects an unknown extractor and min above max in the schema", () => {
    const problems = validateDocument(
      doc({
        repetitions: { min: 6, max: 5, metric: "took", relError: 0.1, confidence: 0.95 },
        metrics: [{ name: "took", resource: "task", extract: "speed" }],
      }),
    );
    expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(["campaign.metrics[0].extract"]));
    expect(problems.some((p) => p.path.startsWith("campaign.repetitions"))).toBe(true);
  });
});
