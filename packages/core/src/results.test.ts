import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ExperimentController } from "./node.js";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the Node entry's controller", () => {
  it("writes timeline.json in the run's results directory once everything is released", async () => {
    dir = await mkdtemp(join(tmpdir(), "nepi-results-"));
    const ec = ExperimentController.fromDocument(
      {
        format: "nepi-experiment@1",
        name: "t",
        resources: [{ guid: 1, type: "sim::Task", attributes: { duration: "0s" } }],
      },
      { rootDir: dir, expId: "e", runId: "r" },
    );
    expect(ec).toBeInstanceOf(ExperimentController);
    ec.deploy();
    await ec.waitFinished(1, { timeout: "5s" });
    await ec.shutdown();
    const timeline = JSON.parse(await readFile(join(dir, "e", "r", "timeline.json"), "utf8"));
    expect(timeline).toEqual(JSON.parse(JSON.stringify(ec.timeline())));
    expect(timeline.map((e: { state: string }) => e.state)).toEqual([
      "DISCOVERED",
      "PROVISIONED",
      "READY",
      "STARTED",
      "FINISHED",
      "RELEASED",
    ]);
    // The manifest beside it: a design with no host has no machine facts, never a missing file.
    const manifest = JSON.parse(await readFile(join(dir, "e", "r", "manifest.json"), "utf8"));
    expect(manifest).toMatchObject({ format: "nepi-manifest@1", expId: "e", runId: "r", machines: [] });
    expect(manifest.document.resources[0].attributes).toMatchObject({ duration: "0s", critical: true });
    expect(JSON.parse(await readFile(join(dir, "e", "r", "experiment.json"), "utf8"))).toEqual(manifest.document);
  });
});
