import { execFile, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";

const BIN = fileURLToPath(new URL("../bin/nepi.js", import.meta.url));

/** A campaign of 3 points × 2 runs of a localhost application that logs each of its runs. */
function writeCampaign(dir: string, ledger: string, command = (v: number) => `echo ran >> ${ledger}; echo value=${v}`): string {
  const file = join(dir, "campaign.json");
  writeFileSync(
    file,
    JSON.stringify({
      format: "nepi-experiment@1",
      name: "cli campaign",
      resources: [
        { guid: 1, type: "linux::Node", label: "host", attributes: { hostname: "localhost" } },
        { guid: 2, type: "linux::Application", label: "app", attributes: { command: "true" }, traces: ["stdout"] },
      ],
      connections: [{ source: 2, target: 1 }],
      campaign: {
        parameters: [{ resource: "app", attribute: "command", values: [1, 2, 3].map(command) }],
        repetitions: { count: 2 },
        metrics: [{ name: "value", resource: "app", trace: "stdout", regex: "value=([0-9]+)" }],
      },
    }),
  );
  return file;
}

function nepi(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr });
    });
  });
}

describe("nepi run on a campaign", () => {
  it("prints a line per run with the mean ± CI and writes runs.csv and summary.csv; exit 0", async () => {
    const dir = tempDir();
    const out = await nepi("run", writeCampaign(dir, join(dir, "ledger")), "--results", join(dir, "results"));
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    const lines = out.stdout.split("\n").filter((l) => l.startsWith("point "));
    expect(lines).toHaveLength(6);
    expect(lines[1]).toMatch(/^point 1\/3 \[app\.command=".*value=1"\] run 2: ok value=1 \| value 1 ± 0 \(n=2\)$/);
    const dirLine = /runs\.csv and summary\.csv in (\S+)/.exec(out.stdout)![1]!;
    expect(readFileSync(join(dirLine, "summary.csv"), "utf8").trim().split("\n")).toHaveLength(4);
  });

  it("killed (SIGKILL) after its third run and resumed with --resume, runs every run exactly once", async () => {
    const dir = tempDir();
    const ledger = join(dir, "ledger");
    const file = writeCampaign(dir, ledger);
    const child = spawn(process.execPath, [BIN, "run", file, "--json", "--results", join(dir, "results")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let campaignDir = "";
    let runs = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      const e = JSON.parse(line) as { event: string; results?: string };
      if (e.event === "campaign") campaignDir = e.results!;
      if (e.event === "run" && ++runs === 3) {
        child.kill("SIGKILL");
        break;
      }
    }
    const done = JSON.parse(readFileSync(join(campaignDir, "runs.json"), "utf8")) as unknown[];
    expect(done.length).toBeGreaterThanOrEqual(3);

    const resumed = await nepi("run", file, "--json", "--resume", campaignDir);
    expect(resumed.code).toBe(0);
    const events = resumed.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { event: string; resumedRuns?: number });
    expect(events[0]).toMatchObject({ event: "campaign", resumedRuns: done.length });
    expect(events.filter((e) => e.event === "run")).toHaveLength(6 - done.length);
    expect(events.at(-1)).toMatchObject({ event: "result", ok: true, complete: true, runs: 6, failed: 0 });
    const rows = JSON.parse(readFileSync(join(campaignDir, "runs.json"), "utf8")) as { point: number; run: number }[];
    expect(rows.map((r) => `${r.point}/${r.run}`).sort()).toEqual(["1/1", "1/2", "2/1", "2/2", "3/1", "3/2"]);
    // Each application run once per campaign run: a run cut short by the kill is the only one that can repeat.
    const ran = readFileSync(ledger, "utf8").trim().split("\n").length;
    expect(ran === 6 || ran === 7).toBe(true);
  });

  it("reports a failed run by name on stderr and exits 1; the summary leaves it out", async () => {
    const dir = tempDir();
    const ledger = join(dir, "ledger");
    // The second application run of the campaign exits 1.
    const failSecond = (v: number) => `echo ran >> ${ledger}; [ $(wc -l < ${ledger}) -eq 2 ] && exit 1; echo value=${v}`;
    const out = await nepi("run", writeCampaign(dir, ledger, failSecond), "--results", join(dir, "results"));
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^FAILED point 1 run 2: app \(guid 2\) failed: exit code 1/m);
    expect(out.stdout).toMatch(/done: 6 runs \(1 failed\)/);
    const campaignDir = /summary\.csv in (\S+)/.exec(out.stdout)![1]!;
    const summary = JSON.parse(readFileSync(join(campaignDir, "summary.json"), "utf8")) as {
      point: number;
      n: number;
      failed: number;
    }[];
    expect(summary[0]).toMatchObject({ point: 1, n: 1, failed: 1 });
  });

  it("on SIGINT stops, releases, exits 130 and can be resumed", async () => {
    const dir = tempDir();
    const file = writeCampaign(dir, join(dir, "ledger"), (v) => `sleep 0.3; echo value=${v}`);
    const child = spawn(process.execPath, [BIN, "run", file, "--json", "--results", join(dir, "results")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const events: { event: string; results?: string; complete?: boolean }[] = [];
    for await (const line of createInterface({ input: child.stdout })) {
      events.push(JSON.parse(line) as (typeof events)[number]);
      if (events.at(-1)!.event === "run") child.kill("SIGINT");
    }
    expect(await exited).toBe(130);
    expect(events.at(-1)).toMatchObject({ event: "result", complete: false });
    const resumed = await nepi("run", file, "--json", "--resume", events[0]!.results!);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout.trim().split("\n").at(-1)).toMatch(/"runs":6,"failed":0/);
  });
});
