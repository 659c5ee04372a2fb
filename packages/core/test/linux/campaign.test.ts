import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCampaign, type ExperimentDocumentInput } from "../../src/node.js";

const results = () => mkdtempSync(join(tmpdir(), "nepi-campaign-"));

/** localhost, an application labelled "app" running `command`, and whatever else is given. */
function design(command: string, campaign: unknown, extra: ExperimentDocumentInput["resources"] = []): ExperimentDocumentInput {
  return {
    format: "nepi-experiment@1",
    name: "campaign test",
    resources: [
      { guid: 1, type: "linux::Node", label: "host", attributes: { hostname: "localhost" } },
      { guid: 2, type: "linux::Application", label: "app", attributes: { command }, traces: ["stdout"] },
      ...extra,
    ],
    connections: [{ source: 2, target: 1 }],
    campaign: campaign as ExperimentDocumentInput["campaign"],
  };
}
const VALUE = { name: "value", resource: "app", trace: "stdout", regex: "value=([0-9.]+)" };

describe("campaign runner (NEPI's ExperimentRunner cases)", () => {
  it("stops at max when the metric never converges", async () => {
    const doc = design("echo value=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')", {
      repetitions: { min: 5, max: 10, metric: "value", relError: 0.0001, confidence: 0.95 },
      metrics: [VALUE],
    });
    const r = await runCampaign(doc, { resultsDir: results() });
    expect(r.runs).toHaveLength(10);
    expect(r.runs.every((row) => row.status === "ok")).toBe(true);
    expect(r.complete).toBe(true);
  });

  it("stops at exactly min runs when the metric is constant", async () => {
    const doc = design("echo value=7", {
      repetitions: { min: 5, max: 10, metric: "value", relError: 0.05, confidence: 0.95 },
      metrics: [VALUE],
    });
    const r = await runCampaign(doc, { resultsDir: results() });
    expect(r.runs.map((row) => row.run)).toEqual([1, 2, 3, 4, 5]);
    expect(r.summary).toEqual([
      expect.objectContaining({ metric: "value", n: 5, mean: 7, std: 0, ciLow: 7, ciHigh: 7, failed: 0 }),
    ]);
  });

  it("sweeps 2 × 3 points × count 2: 12 runs, 6 summary rows per metric with the right means", async () => {
    const doc = design(
      "echo value=0",
      {
        parameters: [
          { resource: "task", attribute: "duration", values: ["100ms", "400ms"] },
          { resource: "app", attribute: "command", values: ["echo value=1", "echo value=2", "echo value=3"] },
        ],
        repetitions: { count: 2 },
        metrics: [VALUE, { name: "took", resource: "task", extract: "duration" }],
      },
      [{ guid: 3, type: "sim::Task", label: "task", attributes: { duration: "1s" } }],
    );
    const r = await runCampaign(doc, { resultsDir: results() });
    expect(r.runs).toHaveLength(12);
    expect(r.runs.every((row) => row.status === "ok")).toBe(true);
    for (const metric of ["value", "took"]) expect(r.summary.filter((s) => s.metric === metric)).toHaveLength(6);
    for (const s of r.summary) {
      expect(s.n).toBe(2);
      const command = s.parameters["app.command"] as string;
      const ms = parseInt(s.parameters["task.duration"] as string, 10);
      if (s.metric === "value") expect(s.mean).toBe(Number(command.slice(-1)));
      // A simulated task of d ms goes from STARTED to FINISHED in d ms (plus the timer's lateness).
      else expect(s.mean).toBeGreaterThanOrEqual(ms - 1);
      if (s.metric === "took") expect(s.mean).toBeLessThan(ms + 100);
    }
    // Every run keeps its usual directory; both tables exist as CSV and JSON.
    for (const row of r.runs) expect(existsSync(join(r.dir, row.runId, "timeline.json"))).toBe(true);
    const csv = readFileSync(join(r.dir, "summary.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe("point,task.duration,app.command,metric,n,failed,mean,std,ciLow,ciHigh");
    expect(csv).toHaveLength(13);
    expect(readFileSync(join(r.dir, "runs.csv"), "utf8").trim().split("\n")).toHaveLength(13);
    expect(JSON.parse(readFileSync(join(r.dir, "runs.json"), "utf8"))).toHaveLength(12);
  });

  it("a campaign stopped after its third run and resumed runs every run exactly once", async () => {
    const ledger = join(results(), "ledger");
    const doc = design(`echo run >> ${ledger}; echo value=1`, {
      parameters: [
        { resource: "app", attribute: "command", values: [1, 2, 3].map((v) => `echo ran >> ${ledger}; echo value=${v}`) },
      ],
      repetitions: { count: 2 },
      metrics: [VALUE],
    });
    const first = await runCampaign(doc, { resultsDir: results(), stopAfter: 3 });
    expect(first.complete).toBe(false);
    expect(first.runs).toHaveLength(3);
    const again = await runCampaign(doc, { resume: first.dir });
    expect(again.complete).toBe(true);
    expect(again.runs.map((r) => `${r.point}/${r.run}`).sort()).toEqual(["1/1", "1/2", "2/1", "2/2", "3/1", "3/2"]);
    // The applications themselves ran six times: nothing was done twice.
    expect(readFileSync(ledger, "utf8").trim().split("\n")).toHaveLength(6);
    expect(again.summary.map((s) => s.mean)).toEqual([1, 2, 3]);
    // Resuming with another design is refused: two campaigns never share one table.
    await expect(runCampaign({ ...doc, name: "another" }, { resume: first.dir })).rejects.toThrow(/campaign of another document/);
    await expect(runCampaign(doc, { resume: join(first.dir, "nope") })).rejects.toThrow(/is not a campaign directory/);
  });

  it("records a failed run, reports why, and leaves it out of the summary", async () => {
    const counter = join(results(), "counter");
    // The second run exits 1; the others print their number.
    const doc = design(
      `n=$(( $(cat ${counter} 2>/dev/null || echo 0) + 1 )); echo $n > ${counter}; [ $n -eq 2 ] && exit 1; echo value=$n`,
      {
        repetitions: { count: 3 },
        metrics: [VALUE],
      },
    );
    const r = await runCampaign(doc, { resultsDir: results() });
    expect(r.runs.map((row) => row.status)).toEqual(["ok", "failed", "ok"]);
    expect(r.runs[1]!.reason).toMatch(/app \(guid 2\) failed: exit code 1/);
    expect(r.summary).toEqual([expect.objectContaining({ metric: "value", n: 2, failed: 1, mean: 2 })]);
    expect(readFileSync(join(r.dir, "runs.csv"), "utf8")).toMatch(/\n2,1,,failed,/);
  });
});
