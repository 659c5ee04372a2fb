import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ExperimentController } from "../../src/node.js";
import { newController, nodeAttributes, type HostKind } from "../support/linux.js";

let ec: ExperimentController | undefined;
afterEach(async () => {
  await ec?.shutdown();
  ec = undefined;
});

for (const kind of ["ssh", "local"] as HostKind[]) {
  describe(`traces that could not be collected, on ${kind}`, () => {
    it("are listed by the controller with the reason; the others are kept", async () => {
      ec = newController("missing");
      const node = ec.registerResource("linux::Node", nodeAttributes(kind));
      const app = ec.registerResource("linux::Application", { command: "mkdir data; echo fine" }, { label: "app" });
      ec.registerConnection(app, node);
      for (const t of ["stdout", "data", "result.csv"]) ec.registerTrace(app, t);
      ec.deploy();
      await ec.waitFinished(app, { timeout: "30s" });
      await ec.release();
      const missing = ec.missingTraces().sort((a, b) => a.name.localeCompare(b.name));
      expect(missing).toEqual([
        { guid: app, name: "data", reason: expect.stringMatching(/^copying it from \S+ failed: /) },
        { guid: app, name: "result.csv", reason: expect.stringMatching(/\/result\.csv does not exist on \S+$/) },
      ]);
      const dir = join(ec.rootDir, ec.expId, ec.runId, `${app}-app`);
      expect(readFileSync(join(dir, "stdout"), "utf8")).toBe("fine\n");
      expect(existsSync(join(dir, "result.csv"))).toBe(false);
      // Reading a lost trace says so, never an empty text.
      await expect(ec.trace(app, "result.csv")).rejects.toThrow(/trace "result.csv" could not be collected: .*does not exist/);
    });
  });
}
