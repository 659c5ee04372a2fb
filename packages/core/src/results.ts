import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ExperimentController as BrowserSafeController } from "./engine/controller.js";
import { buildManifest } from "./manifest.js";
import type { RunManifest } from "./model/manifest.js";

/**
 * The controller of the Node entry: the same engine, and once the whole experiment is released
 * (by `release()`, `shutdown()`, or after a critical failure) it writes every transition to
 * `<rootDir>/<expId>/<runId>/timeline.json`, beside the traces the resources collected there,
 * the run's `manifest.json` and the document as run in `experiment.json` (the machines' facts are read just before the release, while
 * the run's connections are still open).
 */
export class ExperimentController extends BrowserSafeController {
  private manifest?: Promise<RunManifest>;

  override async release(group?: number | readonly number[]): Promise<void> {
    if (group === undefined) this.manifest ??= buildManifest(this);
    const manifest = group === undefined ? await this.manifest! : undefined;
    await super.release(group);
    if (manifest) {
      await this.writeTimeline();
      await this.writeResult("manifest.json", manifest);
      // The design as run, on its own: what `nepi run` takes to run it again.
      await this.writeResult("experiment.json", manifest.document);
    }
  }

  /** Writes `timeline.json` in the run's results directory; returns its path. */
  async writeTimeline(): Promise<string> {
    return this.writeResult("timeline.json", this.timeline());
  }

  private async writeResult(name: string, value: unknown): Promise<string> {
    await mkdir(this.runDir, { recursive: true });
    const path = join(this.runDir, name);
    await writeFile(path, JSON.stringify(value, null, 1) + "\n");
    return path;
  }
}
