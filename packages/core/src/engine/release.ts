import type { EmitEvent } from "./controller-events.js";
import { deployDependencies } from "./design-rules.js";
import { errorMessage, type Lifecycle } from "./lifecycle.js";
import { MissingTraces } from "./missing-traces.js";
import type { OperationPool } from "./pool.js";
import type { DesignRegistry } from "./registry.js";
import { operation, type Resource } from "./resource-record.js";

/**
 * Releases resources: each one after the resources that run on it (applications before their
 * node) and after its operations in progress; then its traces are collected and its manager
 * frees what it used. Synchronous where nothing needs waiting for, so that releasing 100,000
 * sim tasks costs no promise each.
 */
export class Release {
  /** The enabled traces a release could not collect, and why. */
  readonly missing = new MissingTraces();

  constructor(
    private readonly design: DesignRegistry,
    private readonly lifecycle: Lifecycle,
    private readonly pool: OperationPool,
    private readonly emit: EmitEvent,
  ) {}

  /** Frees what `targets` use, after whatever they are doing now (`redeploy`: they come back). */
  async release(targets: Resource[], redeploy = false): Promise<void> {
    for (const r of targets) this.lifecycle.releaseAsked(r, redeploy);
    const chosen = new Set(targets.map((r) => r.guid));
    const pending: Promise<void>[] = [];
    for (const r of targets) {
      const p = this.releaseResource(r, chosen);
      if (p) pending.push(p);
    }
    await Promise.all(pending);
  }

  /** Releases one resource; returns the promise of it only when there is something to wait for. */
  private releaseResource(r: Resource, chosen: Set<number>): Promise<void> | void {
    const p = r.phase;
    if (p.kind === "released") return;
    if (p.kind === "releasing" && p.done) return p.done;
    const before: Promise<void>[] = [];
    for (const g of r.connections) {
      const d = this.design.resource(g);
      if (!chosen.has(g) || !deployDependencies(this.design.view, g).some((x) => x.guid === r.guid)) continue;
      const p = this.releaseResource(d, chosen);
      if (p) before.push(p);
    }
    if (operation(r) !== undefined) before.push(this.lifecycle.whenIdle(r));
    const result = before.length > 0 ? Promise.all(before).then(() => this.releaseNow(r)) : this.releaseNow(r);
    if (result) this.lifecycle.releaseTakes(r, result);
    return result;
  }

  private releaseNow(r: Resource): Promise<void> | void {
    const m = r.manager;
    if (!m || (!m.collectTraces && !m.release)) return this.lifecycle.released(r);
    const log = (what: string, err: unknown) =>
      this.emit("log", { guid: r.guid, message: `${what} failed: ${errorMessage(err)}`, at: Date.now() });
    const finish = () => {
      this.pool.release();
      this.lifecycle.released(r);
    };
    const releaseStep = (): Promise<void> | void => {
      let out: unknown;
      try {
        out = m.release?.();
      } catch (err) {
        r.reason ??= `release failed: ${errorMessage(err)}`;
        log("release", err);
      }
      if (out instanceof Promise) {
        return out.then(finish, (err) => {
          r.reason ??= `release failed: ${errorMessage(err)}`;
          log("release", err);
          finish();
        });
      }
      finish();
    };
    const run = (): Promise<void> | void => {
      let collected: unknown;
      const lost = (err: unknown) => {
        log("collecting traces", err);
        this.missing.failed(r.guid, r.traces, errorMessage(err));
      };
      try {
        collected = m.collectTraces?.();
      } catch (err) {
        lost(err);
      }
      if (collected instanceof Promise) {
        return collected.then(
          (result) => {
            this.missing.collected(r.guid, result);
            return releaseStep();
          },
          (err) => {
            lost(err);
            return releaseStep();
          },
        );
      }
      this.missing.collected(r.guid, collected);
      return releaseStep();
    };
    return this.pool.tryAcquire() ? run() : this.pool.acquire().then(run);
  }
}
