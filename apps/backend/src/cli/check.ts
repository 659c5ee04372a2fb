import { checkHosts, type HostCheckStatus, type HostsCheckReport } from "@nepi/core/node";
import { formatProblem, loadDocument } from "./document.js";

export interface CheckOptions {
  file: string;
  json: boolean;
  /** Connect timeout per host, ms. */
  timeout?: number;
  out: NodeJS.WritableStream & { isTTY?: boolean };
  err: NodeJS.WritableStream;
}

const COLORS: Record<HostCheckStatus, string> = { ok: "\x1b[32m", warning: "\x1b[33m", problem: "\x1b[31m" };
const RESET = "\x1b[0m";

/**
 * `nepi check`: checks every host of a design before deploy and prints one line per check (or
 * the report as JSON). Exit 0 when no check found a problem, 1 when one did, 2 for a document
 * that cannot be read.
 */
export async function checkCommand(o: CheckOptions): Promise<number> {
  const { doc, problems } = await loadDocument(o.file);
  if (doc === undefined || problems.some((p) => p.path === "(file)" || p.code === "INVALID_DOCUMENT")) {
    for (const p of problems) o.err.write(formatProblem(p) + "\n");
    return 2;
  }
  const errors = problems.filter((p) => p.severity !== "warning").length;
  if (errors > 0)
    o.err.write(
      `note: the design itself has ${errors} problem${errors === 1 ? "" : "s"} (nepi validate lists them); checking its hosts anyway\n`,
    );
  let report: HostsCheckReport;
  try {
    report = await checkHosts(doc, o.timeout !== undefined ? { connectTimeout: o.timeout } : {});
  } catch (e) {
    o.err.write(`nepi check: ${(e as Error).message}\n`);
    return 2;
  }
  if (o.json) o.out.write(JSON.stringify(report) + "\n");
  else o.out.write(formatReport(report, o.out.isTTY === true));
  return report.ok ? 0 : 1;
}

/** The report as a table: host, how it is reached, then each check's status, reason and fix. */
export function formatReport(report: HostsCheckReport, color: boolean): string {
  const paint = (s: HostCheckStatus, text: string) => (color ? COLORS[s] + text + RESET : text);
  const lines: string[] = [];
  if (report.hosts.length === 0) return "no host in this design\n";
  const names = report.hosts.map((h) => `${h.label ?? "host"} #${h.guid}`);
  const w = Math.max(4, ...names.map((n) => n.length)) + 2;
  const tw = Math.max(6, ...report.hosts.map((h) => h.target.length)) + 2;
  lines.push(pad("HOST", w) + pad("TARGET", tw) + pad("CHECK", 11) + pad("STATUS", 9) + "DETAIL");
  report.hosts.forEach((h, i) => {
    h.checks.forEach((c, j) => {
      const head = j === 0 ? pad(names[i]!, w) + pad(h.target, tw) : " ".repeat(w + tw);
      lines.push(head + pad(c.name, 11) + paint(c.status, pad(c.status, 9)) + c.reason);
      if (c.fix && c.status !== "ok") lines.push(" ".repeat(w + tw + 20) + `fix: ${c.fix}`);
    });
  });
  const bad = report.hosts.filter((h) => !h.ok).length;
  const slowest = Math.max(...report.hosts.map((h) => h.elapsedMs));
  lines.push(
    `${report.hosts.length} host${report.hosts.length === 1 ? "" : "s"} checked in ${(slowest / 1000).toFixed(2)} s: ` +
      (bad === 0 ? "all ok" : `${bad} with problems`),
  );
  return lines.join("\n") + "\n";
}

function pad(s: string, n: number): string {
  return s.length >= n ? s + " " : s + " ".repeat(n - s.length);
}
