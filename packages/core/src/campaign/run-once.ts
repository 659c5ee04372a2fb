import { endsByItself } from "../catalog/rules.js";
import { getResourceType } from "../catalog/registry.js";
import type { ExperimentDocument } from "../model/document.js";
import type { ResourceState } from "../model/states.js";
import type { Metric } from "../model/campaign.js";
import { ExperimentController } from "../results.js";
import { extractMetric } from "./metrics.js";

const ENDED: ReadonlySet<ResourceState> = new Set(["FINISHED", "STOPPED", "FAILED", "RELEASED"]);

export interface OneRunResult {
  status: "ok" | "failed" | "interrupted";
  reason?: string;
  metrics: Record<string, number | null>;
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
  const guids = ec.guids();
  const pending = new Set(guids.filter((g) => endsByItself(getResourceType(ec.rtype(g)), (n) => ec.get(g, n))));
  let onAbort = () => {};
  const settled = new Promise<void>((settle) => {
    if (pending.size === 0) ec.waitDeployed(guids).then(settle, settle);
    ec.on("state", (e) => {
      if (ENDED.has(e.state)) pending.delete(e.guid);
      if (pending.size === 0) settle();
    });
    ec.on("experiment", (e) => e.state === "FAILED" && settle());
    onAbort = () => settle();
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  const values: Record<string, number | null> = {};
  const problems: string[] = [];
  try {
    ec.deploy();
    await settled;
    for (const m of metrics) {
      const guid = guids.find((g) => ec.label(g) === m.resource)!;
      const text = m.trace !== undefined && ec.deployed(guid) ? String(await ec.trace(guid, m.trace)) : undefined;
      const got = extractMetric(m, { text, timeline: ec.timeline().filter((e) => e.guid === guid), failure: ec.failure(guid) });
      values[m.name] = "value" in got ? got.value : null;
      if ("error" in got) problems.push(got.error);
    }
  } catch (e) {
    problems.push((e as Error).message);
  } finally {
    // One listener per run on the campaign's signal: removed, or a long campaign piles them up.
    signal?.removeEventListener("abort", onAbort);
    await ec.shutdown();
  }
  if (signal?.aborted) return { status: "interrupted", reason: "interrupted", metrics: values };
  for (const g of guids) {
    const reason = ec.failure(g);
    // A failure a retry recovered from is not one: only a resource that ended FAILED counts.
    if (reason !== undefined && ec.timeline().some((e) => e.guid === g && e.state === "FAILED"))
      problems.unshift(`${ec.label(g) ?? ec.rtype(g)} (guid ${g}) failed: ${reason}`);
  }
  for (const m of ec.missingTraces()) problems.push(`trace "${m.name}" of guid ${m.guid} missing: ${m.reason}`);
  if (ec.experimentFailure !== undefined && problems.length === 0) problems.push(ec.experimentFailure);
  return problems.length === 0
    ? { status: "ok", metrics: values }
    : { status: "failed", reason: problems.join("; "), metrics: values };
}
