import { readdirSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { ExperimentController } from "../../src/node.js";
import { newController, nodeAttributes, type HostKind } from "../support/linux.js";

let ec: ExperimentController | undefined;
afterEach(async () => {
  await ec?.shutdown();
  ec = undefined;
});

/** Pids of the running processes whose environment holds `entry` (a zombie's is empty: it has ended). */
function marked(entry: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, "latin1").split("\0").includes(entry)) out.push(Number(name));
    } catch {
      /* it ended meanwhile */
    }
  }
  return out;
}

/**
 * Leaves the process group twice — `setsid`, and a daemon that double-forks (its parent exits,
 * its session leader exits, it is reparented) — recording each escapee's pid in `escapees`. Each
 * says it is there through a FIFO, so the command goes on only once both exist.
 */
const ESCAPE = [
  "mkfifo up",
  `setsid sh -c 'echo $$ >> escapees; echo > up; exec sleep 313' &`,
  "read x < up",
  `sh -c 'setsid sh -c "sleep 317 & echo \\$! >> escapees; echo > up" & exit 0'`,
  "read x < up",
].join("\n");

for (const kind of ["ssh", "local"] as HostKind[]) {
  describe(`processes that leave the process group, on ${kind}`, () => {
    async function escapees(app: number, entry: string): Promise<number[]> {
      const pids = String(await ec!.trace(app, "escapees"))
        .trim()
        .split("\n")
        .map(Number);
      expect(pids).toHaveLength(2);
      const carrying = marked(entry);
      for (const pid of pids) expect(carrying).toContain(pid);
      return pids;
    }

    it("carry the run's marker and are ended on release, even after the command finished", async () => {
      ec = newController("escape");
      const node = ec.registerResource("linux::Node", nodeAttributes(kind));
      const app = ec.registerResource("linux::Application", { command: ESCAPE });
      ec.registerConnection(app, node);
      ec.deploy();
      await ec.waitFinished(app, { timeout: "30s" });
      const run = `NEPI_RUN=${ec.runId}`;
      await escapees(app, run);
      await ec.release();
      expect(marked(run)).toEqual([]);
    });

    it("are ended by a stop of their application", async () => {
      ec = newController("escape-stop");
      const node = ec.registerResource("linux::Node", nodeAttributes(kind));
      const app = ec.registerResource("linux::Application", { command: `${ESCAPE}\necho ready; exec sleep 300` });
      ec.registerConnection(app, node);
      ec.registerTrace(app, "stdout");
      ec.deploy();
      await ec.waitStarted(app, { timeout: "30s" });
      await new Promise<void>((resolve) => {
        const stop = ec!.followTrace(app, "stdout", {}, (chunk) => chunk.includes("ready") && (stop(), resolve()));
      });
      const entry = `NEPI_APP=${ec.runId}/${app}`;
      await escapees(app, entry);
      await ec.stop(app);
      expect(ec.state(app)).toBe("STOPPED");
      expect(marked(entry)).toEqual([]);
    });
  });
}
