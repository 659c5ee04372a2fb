import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ExperimentController } from "../../src/node.js";
import { newController, nodeAttributes, type HostKind } from "../support/linux.js";

/** Fails the first time it runs in its directory (a marker file), succeeds the second. */
const FLAKY = "test -f marker || { touch marker; echo first try; echo 'not yet' >&2; exit 1; }; echo second try";

let ec: ExperimentController | undefined;
afterEach(async () => {
  await ec?.shutdown();
  ec = undefined;
});

for (const kind of ["local", "ssh"] as HostKind[]) {
  describe(`failures planned for, on ${kind}`, () => {
    it("an application that exits non-zero is retried; each attempt is in the timeline and its output kept apart", async () => {
      ec = newController("retries");
      const node = ec.registerResource("linux::Node", nodeAttributes(kind));
      const app = ec.registerResource(
        "linux::Application",
        { command: FLAKY, retries: 2, retryDelay: "200ms" },
        { label: "flaky" },
      );
      ec.registerConnection(app, node);
      ec.registerTrace(app, "stdout");
      ec.registerTrace(app, "stderr");
      ec.deploy();
      await ec.waitFinished(app, { timeout: "30s" });
      const events = ec.timeline().filter((e) => e.guid === app);
      expect(events.map((e) => `${e.state}${e.attempt ? ` #${e.attempt}` : ""}`)).toEqual([
        "DISCOVERED",
        "PROVISIONED",
        "READY",
        "STARTED",
        "READY #2",
        "STARTED #2",
        "FINISHED #2",
      ]);
      expect(events[4]!.reason).toBe("attempt 1 of 3 failed: exit code 1: not yet; attempt 2 in 200ms");
      expect(events[5]!.at - events[4]!.at).toBeGreaterThanOrEqual(200);
      // The last attempt's output is the trace; the first one's is kept beside it.
      expect(await ec.trace(app, "stdout")).toBe("second try\n");
      expect(await ec.trace(app, "stdout.1")).toBe("first try\n");
      expect(await ec.trace(app, "stderr.1")).toBe("not yet\n");
      await ec.release();
      const dir = join(ec.rootDir, ec.expId, ec.runId, `${app}-flaky`);
      expect(readFileSync(join(dir, "stdout"), "utf8")).toBe("second try\n");
      expect(readFileSync(join(dir, "stdout.1"), "utf8")).toBe("first try\n");
      expect(readFileSync(join(dir, "stderr"), "utf8")).toBe("");
      expect(ec.missingTraces()).toEqual([]);
    });

    it("Retry failed re-runs a failed application in the same run, without redeploying its node", async () => {
      ec = newController("retry-failed");
      const node = ec.registerResource("linux::Node", nodeAttributes(kind));
      const app = ec.registerResource("linux::Application", { command: FLAKY, critical: false });
      const fine = ec.registerResource("linux::Application", { command: "echo fine" });
      ec.registerConnection(app, node);
      ec.registerConnection(fine, node);
      ec.registerTrace(app, "stdout");
      ec.deploy();
      await ec.waitFinished(fine, { timeout: "30s" });
      await expect(ec.waitFinished(app, { timeout: "30s" })).rejects.toThrow(/exit code 1: not yet/);
      expect(ec.ecState).toBe("RUNNING");

      expect(ec.retryFailed()).toEqual([app]);
      await ec.waitFinished(app, { timeout: "30s" });
      expect(await ec.trace(app, "stdout")).toBe("second try\n");
      expect(await ec.trace(app, "stdout.1")).toBe("first try\n");
      const states = (g: number) =>
        ec!
          .timeline()
          .filter((e) => e.guid === g)
          .map((e) => e.state);
      expect(states(app)).toEqual(["DISCOVERED", "PROVISIONED", "READY", "STARTED", "FAILED", "READY", "STARTED", "FINISHED"]);
      // Neither the node nor the application that went well was touched.
      expect(states(node)).toEqual(["DISCOVERED", "PROVISIONED", "READY", "STARTED"]);
      expect(states(fine)).toEqual(["DISCOVERED", "PROVISIONED", "READY", "STARTED", "FINISHED"]);
    });
  });
}
