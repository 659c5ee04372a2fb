import { resolve } from "node:path";
import { ExperimentController, endsByItself, getResourceType, type ResourceState, type StateEvent } from "@nepi/core/node";
import { campaignCommand } from "./campaign.js";
import { formatProblem, loadDocument } from "./document.js";
import { LiveTable, type Row } from "./table.js";

export interface RunOptions {
  file: string;
  results: string;
  json: boolean;
  /** A campaign directory to continue (documents with a campaign only). */
  resume?: string;
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
}

/** Exit code of a run in which only non-critical resources failed (the run FINISHED_WITH_FAILURES). */
export const FINISHED_WITH_FAILURES_EXIT = 3;

/** States after which a resource that finishes by itself has nothing more to do. */
const ENDED: ReadonlySet<ResourceState> = new Set(["FINISHED", "STOPPED", "FAILED", "RELEASED"]);

function runId(): string {
  const d = new Date();
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}-${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}-${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * `nepi run`: validates, deploys, shows progress, waits until every resource that finishes by
 * itself has ended (or the experiment failed, or Ctrl-C), then stops and releases everything and
 * collects the traces. Exit code 0 only when no resource failed, nothing was interrupted and every
 * enabled trace was collected; 3 (FINISHED_WITH_FAILURES) when all of that holds but some
 * non-critical resources failed (the rest went on and finished).
 */
export async function runCommand(o: RunOptions): Promise<number> {
  const { doc, problems } = await loadDocument(o.file);
  const errors = problems.filter((p) => p.severity !== "warning");
  if (errors.length > 0 || doc === undefined) {
    if (o.json) o.out.write(JSON.stringify({ event: "invalid", problems }) + "\n");
    else for (const p of problems) o.err.write(formatProblem(p) + "\n");
    return 2;
  }
  if ((doc as { campaign?: unknown }).campaign !== undefined) return campaignCommand({ ...o, doc });
  if (o.resume !== undefined) {
    o.err.write("nepi run: --resume continues a campaign, and this document has none\n");
    return 2;
  }
  const docName = (doc as { name?: unknown }).name;
  const name = typeof docName === "string" ? docName : "experiment";
  const ec = ExperimentController.fromDocument(doc, {
    expId: name.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80) || "experiment",
    runId: runId(),
    rootDir: resolve(o.results),
  });
  const runDir = ec.runDir;
  const guids = ec.guids();
  const describe = (g: number) => `guid ${g} (${ec.label(g) ?? ec.rtype(g)})`;
  const finishers = guids.filter((g) => endsByItself(getResourceType(ec.rtype(g)), (name) => ec.get(g, name)));
  const emit = (obj: Record<string, unknown>) => o.out.write(JSON.stringify(obj) + "\n");

  let table: LiveTable | undefined;
  const rows: Row[] = guids.map((g) => ({
    guid: g,
    label: ec.label(g) ?? "",
    rtype: ec.rtype(g),
    state: ec.state(g),
    since: Date.now(),
  }));
  if (o.json) {
    emit({
      event: "run",
      name,
      expId: ec.expId,
      runId: ec.runId,
      results: runDir,
      resources: rows.map(({ guid, label, rtype }) => ({ guid, label, rtype })),
    });
  } else if (o.out.isTTY) {
    o.out.write(`running ${name} (${guids.length} resources) → ${runDir}\n`);
    table = new LiveTable(o.out, rows, Date.now(), (g) =>
      ec
        .waitingOn(g)
        .map((w) => w.text)
        .join("; "),
    );
  } else {
    o.out.write(`running ${name} (${guids.length} resources) → ${runDir}\n`);
  }

  // Everything settles when each resource that finishes by itself ended, or the experiment failed.
  const pending = new Set(finishers);
  let settle!: () => void;
  const settled = new Promise<void>((r) => (settle = r));
  ec.on("state", (e: StateEvent) => {
    if (o.json) emit({ event: "state", ...e, label: ec.label(e.guid), rtype: ec.rtype(e.guid) });
    else if (table) table.update(e);
    else
      o.out.write(
        `${new Date(e.at).toISOString().slice(11, 23)} ${describe(e.guid)} ${e.state}${e.reason ? `: ${e.reason}` : ""}\n`,
      );
    if (ENDED.has(e.state)) pending.delete(e.guid);
    if (pending.size === 0 && finishers.length > 0) settle();
  });
  ec.on("experiment", (e: { state: string; reason?: string }) => {
    if (o.json) emit({ event: "experiment", ...e });
    if (e.state === "FAILED") settle();
  });
  ec.on("gate", (g) => {
    if (o.json) emit({ event: "gate", ...g });
    else table?.changed();
  });
  ec.on("log", (e: { guid?: number; message: string; at: number }) => {
    if (o.json) emit({ event: "log", ...e });
  });

  let interrupted = false;
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      interrupted = true;
      const msg = `${sig}: stopping and releasing everything…`;
      if (o.json) emit({ event: "interrupt", signal: sig });
      else if (table) table.setFooter(msg);
      else o.err.write(msg + "\n");
      settle();
    } else {
      o.err.write(`${sig} again: still releasing (processes on the hosts are being ended)…\n`);
      if (signals >= 3) process.exit(130);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    ec.deploy();
  } catch (e) {
    o.err.write(`nepi run: ${(e as Error).message}\n`);
    return 2;
  }
  if (finishers.length === 0) {
    // Nothing ends by itself: deploy, then release.
    ec.waitDeployed(guids).then(settle, settle);
  }
  await settled;
  table?.setFooter(interrupted ? "releasing after interrupt…" : "releasing…");
  await ec.shutdown();
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);

  table?.draw();

  const failures = guids.filter(
    (g) => ec.failure(g) !== undefined && ec.timeline().some((t) => t.guid === g && t.state === "FAILED"),
  );
  const unfinished = finishers.filter(
    (g) => !ec.timeline().some((t) => t.guid === g && (t.state === "FINISHED" || t.state === "STOPPED")),
  );
  // A trace that could not be collected is data lost: never "ok".
  const missing = ec.missingTraces();
  // Only non-critical failures, and everything else ended as it should: finished with failures.
  const experimentFailed = ec.experimentFailure !== undefined;
  const withFailures =
    !interrupted &&
    !experimentFailed &&
    failures.length > 0 &&
    missing.length === 0 &&
    unfinished.every((g) => failures.includes(g));
  const ok = !interrupted && failures.length === 0 && unfinished.length === 0 && missing.length === 0;
  const code = ok ? 0 : interrupted ? 130 : withFailures ? FINISHED_WITH_FAILURES_EXIT : 1;
  if (o.json) {
    emit({
      event: "result",
      ok,
      status: ok ? "FINISHED" : withFailures ? "FINISHED_WITH_FAILURES" : interrupted ? "INTERRUPTED" : "FAILED",
      exitCode: code,
      interrupted,
      failures: failures.map((g) => ({ guid: g, label: ec.label(g), reason: ec.failure(g) })),
      missingTraces: missing.map((m) => ({ ...m, label: ec.label(m.guid) })),
      results: runDir,
    });
  } else {
    for (const g of failures) o.err.write(`FAILED ${describe(g)}: ${ec.failure(g)}\n`);
    for (const m of missing) o.err.write(`MISSING trace "${m.name}" of ${describe(m.guid)}: ${m.reason}\n`);
    if (interrupted) o.err.write("interrupted: everything was stopped and released\n");
    o.out.write(`${ok ? "done" : withFailures ? "done with failures" : "not done"}: results and timeline.json in ${runDir}\n`);
  }
  return code;
}
