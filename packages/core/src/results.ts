import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ExperimentController as BrowserSafeController } from "./engine/controller.js";

/**
 * The controller of the Node entry: the same engine, and once the whole experiment is released
 * (by `release()`, `shutdown()`, or after a critical failure) it writes every transition to
 * `<rootDir>/<expId>/<runId>/timeline.json`, beside the traces the resources collected there.
 */
export class ExperimentController extends BrowserSafeController {
  override async release(group?: number | readonly number[]): Promise<void> {
    await super.release(group);
    if (group === undefined) await this.writeTimeline();
  }

  /** Writes `timeline.json` in the run's results directory; returns its path. */
  async writeTimeline(): Promise<string> {
    await mkdir(this.runDir, { recursive: true });
    const path = join(this.runDir, "timeline.json");
    await writeFile(path, JSON.stringify(this.timeline(), null, 1) + "\n");
    return path;
  }
}
