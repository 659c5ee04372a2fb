import type { MissingTrace } from "../model/run.js";
import type { TraceCollection } from "./resource-manager.js";

/**
 * The enabled traces a release could not collect, with the reason: a run never looks complete
 * with data lost. Filled from what each manager's `collectTraces` returned, or threw.
 */
export class MissingTraces {
  private readonly list: MissingTrace[] = [];

  /** `collectTraces` of `guid` returned: keep what it says is missing. */
  collected(guid: number, result: unknown): void {
    const missing = (result as TraceCollection | undefined)?.missing;
    if (Array.isArray(missing)) for (const m of missing) this.list.push({ guid, name: m.name, reason: m.reason });
  }

  /** `collectTraces` of `guid` threw: none of its enabled traces was kept. */
  failed(guid: number, traces: Iterable<string>, reason: string): void {
    for (const name of traces) this.list.push({ guid, name, reason });
  }

  all(): MissingTrace[] {
    return [...this.list];
  }
}
