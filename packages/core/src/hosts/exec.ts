import { performance } from "node:perf_hooks";
import { getResourceManagerFactory } from "../catalog/registry.js";
import type { HostReach } from "../engine/host.js";
import { validateDocument } from "../engine/validate.js";
import { ExperimentDocumentSchema } from "../model/document.js";
import { NepiError } from "../model/errors.js";
import type { HostExecResult, HostSelector } from "../model/hosts.js";
import { shq } from "../transport/quote.js";
import { DesignResourceContext } from "./design-context.js";
import { selectHosts, type DesignHost } from "./select.js";

export interface ExecOnHostsOptions {
  /** The hosts to run on (labels or guids); every host of the design when absent. */
  hosts?: readonly HostSelector[];
  /** Each host's command is ended (SIGTERM, then SIGKILL 5 s later) after this long, ms. */
  timeoutMs?: number;
  /** Connect timeout of a new connection, ms (default 10 s). */
  connectTimeoutMs?: number;
  /** Connection attempts before a host counts as unreachable (default 1: answer now, the user retries). */
  attempts?: number;
  /** Characters of stdout and of stderr kept per host (default 1 Mi): the rest is cut, marked `truncated`. */
  maxOutput?: number;
  /** Hosts connected to and running at once (default 256: file descriptors, not speed, bound it). */
  concurrency?: number;
  /** Each host's answer, as soon as it has it. */
  onResult?(result: HostExecResult): void;
}

const MAX_OUTPUT = 1024 * 1024;
/** `timeout`'s exit status when the time ran out (GNU coreutils), and 128+KILL after the grace. */
const TIMED_OUT = new Set([124, 137]);

/**
 * Runs one shell command on several hosts of a design at once, each over its transport's control
 * channels (the shared connection pool: a run's connection to the host is reused), and answers
 * per host in the design's order. A host that cannot be reached, or refuses us, is an answer with
 * its `error`, never a rejection; only a request that names no host of the design, or a design
 * whose selected hosts are not valid, throws (a `NepiError` naming the field).
 */
export async function execOnHosts(doc: unknown, command: string, options: ExecOnHostsOptions = {}): Promise<HostExecResult[]> {
  const parsed = ExperimentDocumentSchema.safeParse(doc);
  if (!parsed.success)
    throw new NepiError("INVALID_DOCUMENT", "the experiment document is not valid", undefined, validateDocument(doc));
  if (command.trim() === "") throw new NepiError("BAD_VALUE", "command: expected a command", "command");
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0))
    throw new NepiError("BAD_VALUE", "timeout: expected a duration above zero", "timeout");
  const hosts = selectHosts(parsed.data, options.hosts);
  if (hosts.length === 0) throw new NepiError("BAD_VALUE", "hosts: the design has no host to run a command on", "hosts");
  const chosen = new Set(hosts.map((h) => h.guid));
  const problems = validateDocument(parsed.data).filter(
    (p) => p.guid !== undefined && chosen.has(p.guid) && p.severity !== "warning" && p.code !== "MISSING_CONNECTION",
  );
  if (problems.length > 0)
    throw new NepiError(
      "INVALID_DOCUMENT",
      problems.map((p) => `${p.path}: ${p.message}`).join("; "),
      problems[0]!.path,
      problems,
    );

  const script = options.timeoutMs === undefined ? command : `timeout -k 5 ${options.timeoutMs / 1000} sh -c ${shq(command)}`;
  const limit = options.concurrency ?? 256;
  let next = 0;
  const results: HostExecResult[] = new Array<HostExecResult>(hosts.length);
  // A few workers take the hosts in order: at most `limit` connections open at once.
  const worker = async () => {
    for (let i = next++; i < hosts.length; i = next++) {
      results[i] = await runOn(hosts[i]!, script, options);
      options.onResult?.(results[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, hosts.length) }, worker));
  return results;
}

async function runOn(host: DesignHost, script: string, o: ExecOnHostsOptions): Promise<HostExecResult> {
  const t0 = performance.now();
  const answer = (
    address: string,
    rest: Pick<HostExecResult, "ok" | "code" | "stdout" | "stderr"> & { error?: string; truncated?: boolean },
  ): HostExecResult => ({
    guid: host.guid,
    label: host.label,
    address,
    ...rest,
    durationMs: Math.round((performance.now() - t0) * 10) / 10,
  });
  let reach: HostReach | undefined;
  try {
    const manager = getResourceManagerFactory(host.resource.type)(new DesignResourceContext(host.resource));
    if (!manager.reach)
      return answer("", {
        ok: false,
        code: null,
        stdout: "",
        stderr: "",
        error: `${host.resource.type} cannot be reached outside a run`,
      });
    reach = manager.reach({ connectTimeout: o.connectTimeoutMs ?? 10_000, attempts: o.attempts ?? 1 });
    const r = await reach.transport.exec(script);
    const max = o.maxOutput ?? MAX_OUTPUT;
    const truncated = r.stdout.length > max || r.stderr.length > max;
    const timedOut = o.timeoutMs !== undefined && TIMED_OUT.has(r.code);
    return answer(reach.transport.label, {
      ok: r.code === 0,
      code: r.code,
      stdout: r.stdout.slice(0, max),
      stderr: r.stderr.slice(0, max),
      ...(timedOut ? { error: `timed out after ${o.timeoutMs! / 1000} s` } : {}),
      ...(truncated ? { truncated } : {}),
    });
  } catch (e) {
    const address = reach?.transport.label ?? "";
    // The address is a field of its own: the reason need not repeat it.
    const message = (e as Error).message;
    const error = address && message.startsWith(`${address}: `) ? message.slice(address.length + 2) : message;
    return answer(address, { ok: false, code: null, stdout: "", stderr: "", error });
  } finally {
    await reach?.release().catch(() => {});
  }
}
