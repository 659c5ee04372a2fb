import { endsByItself } from "../catalog/rules.js";
import { getResourceType } from "../catalog/registry.js";
import type { ExperimentDocument } from "../model/document.js";
import type { ResourceState } from "../model/states.js";
import type { Metric } from "../model/campaign.js";
import type { ExperimentController as BaseController } from "../engine/controller.js";
import { ExperimentController } from "../results.js";
import { extractMetric } from "./metrics.js";

const ENDED: ReadonlySet<ResourceState> = new Set(["FINISHED", "STOPPED", "FAILED", "RELEASED"]);

export interface OneRunResult {
  status: "ok" | "failed" | "interrupted";
  reason?: string;
  metrics: Record<string, number | null>;
  /** The id the run is known by, when it is not the one the campaign proposed (a server's run). */
  runId?: string;
}

/**
 * Resolves once every resource of a deployed run that ends by itself has ended, or the
 * experiment failed, or `signal` aborted. Whatever already happened counts: it may be called
 * after `deploy()`.
 */
export function runEnded(ec: BaseController, signal?: AbortSignal): Promise<void> {
  const guids = ec.guids();
  const pending = new Set(
    guids.filter((g) => endsByItself(getResourceType(ec.rtype(g)), (n) => ec.get(g, n)) && !ENDED.has(ec.state(g))),
  );
  if (ec.ecState === "FAILED" || signal?.aborted) return Promise.resolve();
  return new Promise<void>((settle) => {
    const offs: Array<() => void> = [];
    const done = () => {
      for (const off of offs) off();
      // One listener per run on the campaign's signal: removed, or a long campaign piles them up.
      signal?.removeEventListener("abort", done);
      settle();
    };
    if (pending.size === 0) ec.waitDeployed(guids).then(done, done);
    offs.push(
      ec.on("state", (e) => {
        if (ENDED.has(e.state) && pending.delete(e.guid) && pending.size === 0) done();
      }),
      ec.on("experiment", (e) => e.state === "FAILED" && done()),
    );
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Reads each metric from the run's traces and timeline, before it is released; what is missing is a problem. */
export async function readMetrics(
  ec: BaseController,
  metrics: readonly Metric[],
): Promise<{ values: Record<string, number | null>; problems: string[] }> {
  const guids = ec.guids();
  const values: Record<string, number | null> = {};
  const problems: string[] = [];
  for (const m of metrics) {
    const guid = guids.find((g) => ec.label(g) === m.resource)!;
    try {
      const text = m.trace !== undefined && ec.deployed(guid) ? String(await ec.trace(guid, m.trace)) : undefined;
      const got = extractMetric(m, { text, timeline: ec.timeline().filter((e) => e.guid === guid), failure: ec.failure(guid) });
      values[m.name] = "value" in got ? got.value : null;
      if ("error" in got) problems.push(got.error);
    } catch (e) {
      values[m.name] = null;
      problems.push((e as Error).message);
    }
  }
  return { values, problems };
}

/**
 * How a released run went: failed when a resource ended FAILED, a trace or a metric is
 * missing (`problems`), or the experiment failed; interrupted when the campaign was stopped.
 */
export function runVerdict(
  ec: BaseController,
  values: Record<string, number | null>,
  problems: readonly string[],
  aborted: boolean,
): OneRunResult {
  if (aborted) return { status: "interrupted", reason: "interrupted", metrics: values };
  const all = [...problems];
  for (const g of ec.guids()) {
    const reason = ec.failure(g);
    // A failure a retry recovered from is not one: only a resource that ended FAILED counts.
    if (reason !== undefined && ec.timeline().some((e) => e.guid === g && e.state === "FAILED"))
      all.unshift(`${ec.label(g) ?? ec.rtype(g)} (guid ${g}) failed: ${reason}`);
  }
  for (const m of ec.missingTraces()) all.push(`trace "${m.name}" of guid ${m.guid} missing: ${m.reason}`);
  if (ec.experimentFailure !== undefined && all.length === 0) all.push(ec.experimentFailure);
  return all.length === 0 ? { status: "ok", metrics: values } : { status: "failed", reason: all.join("; "), metrics: values };
}

/**
 * One run of a campaign: a fresh controller from the document, deployed, awaited until every
 * resource that ends by itself ended (or the experiment failed, or `signal` aborted), its metrics
 * read, then everything released. Failed when a resource failed, a trace or a metric is missing.
 */
export async function runOnce(
  doc: ExperimentDocument,
  metrics: readonly Metric[],
  ids: { rootDir: string; expId: string; runId: string },
  signal?: AbortSignal,
): Promise<OneRunResult> {
  const ec = ExperimentController.fromDocument(doc, ids);
  let read: { values: Record<string, number | null>; problems: string[] } = { values: {}, problems: [] };
  try {
    const ended = runEnded(ec, signal);
    ec.deploy();
    await ended;
    read = await readMetrics(ec, metrics);
  } catch (e) {
    read.problems.push((e as Error).message);
  } finally {
    await ec.shutdown();
  }
  return runVerdict(ec, read.values, read.problems, signal?.aborted === true);
}
