import { Command, InvalidArgumentError } from "commander";
import { execOnHosts, NepiError, parseTime, type HostExecResult } from "@nepi/core/node";
import { formatProblem, loadDocument } from "./document.js";

/** Exit code of a command line (or a host list) the CLI cannot use. */
const USAGE_ERROR = 2;

export interface ExecOptions {
  file: string;
  command: string;
  hosts?: string[];
  timeoutMs?: number;
  json: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

const withNewline = (text: string) => (text === "" || text.endsWith("\n") ? text : text + "\n");

/** A host's answer under its label: a header with its exit code, then its stdout and stderr. */
export function formatHostResult(r: HostExecResult): string {
  const where = r.address ? ` (${r.address})` : "";
  const outcome = r.error ? `${r.code === null ? "" : `exit ${r.code}, `}${r.error}` : `exit ${r.code}`;
  let text = `── ${r.label}${where}: ${outcome} · ${Math.round(r.durationMs)} ms\n${withNewline(r.stdout)}`;
  if (r.stderr) text += `stderr:\n${withNewline(r.stderr)}`;
  if (r.truncated) text += "(output cut: longer than the limit)\n";
  return text;
}

/**
 * `nepi exec`: runs one command on the design's hosts at once and prints each host's answer
 * as it comes; exit 0 when it ran and exited 0 everywhere, 1 when a host failed, 2 when the
 * document or the host list cannot be used.
 */
export async function execCommand(o: ExecOptions): Promise<number> {
  const { doc, problems } = await loadDocument(o.file);
  if (doc === undefined) {
    for (const p of problems) o.err.write(formatProblem(p) + "\n");
    return USAGE_ERROR;
  }
  let results: HostExecResult[];
  try {
    results = await execOnHosts(doc, o.command, {
      ...(o.hosts ? { hosts: o.hosts } : {}),
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      onResult: (r) => {
        if (!o.json) o.out.write(formatHostResult(r));
      },
    });
  } catch (e) {
    if (!(e instanceof NepiError)) throw e;
    const listed = e.problems?.length ? e.problems : [{ path: e.path ?? "", message: e.message }];
    if (o.json) o.out.write(JSON.stringify({ ok: false, problems: listed }) + "\n");
    // A problem of the request names its field; the message already starts with it.
    else for (const p of listed) o.err.write(`error: ${p.message.startsWith(p.path) ? p.message : `${p.path}: ${p.message}`}\n`);
    return USAGE_ERROR;
  }
  const failed = results.filter((r) => !r.ok);
  if (o.json) {
    o.out.write(JSON.stringify({ ok: failed.length === 0, command: o.command, results }) + "\n");
  } else {
    const s = results.length === 1 ? "" : "s";
    o.out.write(
      `${results.length} host${s}: ${results.length - failed.length} ok${failed.length ? `, ${failed.length} failed (${failed.map((r) => r.label).join(", ")})` : ""}\n`,
    );
  }
  return failed.length === 0 ? 0 : 1;
}

function hostList(value: string): string[] {
  const labels = value.split(",").map((l) => l.trim());
  if (labels.some((l) => l === "")) throw new InvalidArgumentError("expected host labels separated by commas.");
  return labels;
}

function timeoutMs(value: string): number {
  let ms: number;
  try {
    ms = parseTime(value, "--timeout");
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  if (ms <= 0) throw new InvalidArgumentError("--timeout: expected a duration above zero.");
  return ms;
}

/** Adds `nepi exec` to the program. */
export function addExecCommand(program: Command, exit: (code: number) => void): void {
  program
    .command("exec")
    .description("run one shell command on the hosts of an experiment at once, each host's output under its label")
    .argument("<experiment.json>", "the experiment document")
    .argument("<command...>", "the command (after --), run by sh on each host")
    .option("--hosts <labels>", "only these hosts: labels separated by commas (a host with no label: 'guid N')", hostList)
    .option("--timeout <time>", "end the command on a host after this long (30s, 5m)", timeoutMs)
    .option("--json", "one JSON object with every host's answer instead of the text")
    .addHelpText(
      "after",
      "\nExample: nepi exec experiment.json --hosts h1,h2 -- 'uname -a; id'\n" +
        "Exit code: 0 when the command exited 0 on every host, 1 when it failed or could not run on one,\n" +
        "2 for a document or host list that cannot be used.",
    )
    .action(async (file: string, words: string[], o: { hosts?: string[]; timeout?: number; json?: boolean }) => {
      const command = words.join(" ");
      exit(
        await execCommand({
          file,
          command,
          ...(o.hosts ? { hosts: o.hosts } : {}),
          ...(o.timeout !== undefined ? { timeoutMs: o.timeout } : {}),
          json: o.json === true,
          out: process.stdout,
          err: process.stderr,
        }),
      );
    });
}
