import { connect as tcpConnect } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { OperationPool } from "../engine/pool.js";
import { ExperimentDocumentSchema } from "../model/document.js";
import { NepiError, formatPath } from "../model/errors.js";
import { hostOk, type HostCheck, type HostReport, type HostsCheckReport } from "../model/host-check.js";
import { knownKeyTypes } from "../transport/known-hosts.js";
import { LocalTransport } from "../transport/local.js";
import { isLocalHost, type HostSettings } from "../transport/pool.js";
import { SshTransport } from "../transport/ssh.js";
import { SshSetupError, type Transport } from "../transport/types.js";
import { hostNeeds, type HostNeeds } from "./needs.js";
import { parseProbe, probeScript } from "./probe.js";
import { judgeProbe } from "./verdicts.js";

export interface CheckHostsOptions {
  /** How long a host gets to accept the TCP connection and finish the SSH handshake, ms (default 10 s, the transport's). */
  connectTimeout?: number;
  /** How long the check script gets once connected, ms (default 20 s). */
  commandTimeout?: number;
  /** Less free space than this in the run directory is a problem, MiB (default 100). */
  minFreeMiB?: number;
  /** Hosts checked at once (default 64): a design with thousands of hosts never opens thousands of connections. */
  concurrency?: number;
}

/**
 * Checks every host of a design, all at once, for what the design will need there: reachable,
 * host key (as its `strictHostKeyChecking` decides), authentication, a working shell, sudo
 * without a password where a resource asks for it, the Debian packages of the resources on it,
 * free disk where runs are kept. Never throws for a host: each answers within its timeouts.
 */
export async function checkHosts(document: unknown, options: CheckHostsOptions = {}): Promise<HostsCheckReport> {
  const parsed = ExperimentDocumentSchema.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
    throw new NepiError(
      "INVALID_DOCUMENT",
      `the document is not an experiment: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
      undefined,
      problems,
    );
  }
  const at = Date.now();
  const pool = new OperationPool(options.concurrency ?? 64);
  const hosts = await Promise.all(hostNeeds(parsed.data).map((needs) => pool.run(() => checkHost(needs, options))));
  return { ok: hosts.every((h) => h.ok), hosts, at };
}

async function checkHost(needs: HostNeeds, o: CheckHostsOptions): Promise<HostReport> {
  const started = performance.now();
  const s = needs.settings;
  const local = isLocalHost(s);
  const target = local ? "local" : `${s.username ?? process.env.USER ?? "root"}@${s.host}:${s.port ?? 22}`;
  let checks: HostCheck[];
  try {
    checks = local ? await checkLocal(needs, o) : await checkSsh(needs, o);
  } catch (e) {
    checks = [{ name: "shell", status: "problem", reason: `the check itself failed: ${(e as Error).message}` }];
  }
  const report: HostReport = {
    guid: needs.guid,
    target,
    ok: hostOk(checks),
    checks,
    elapsedMs: Math.round(performance.now() - started),
  };
  if (needs.label) report.label = needs.label;
  return report;
}

async function checkLocal(needs: HostNeeds, o: CheckHostsOptions): Promise<HostCheck[]> {
  const reach: HostCheck = { name: "reachable", status: "ok", reason: "the local machine (no SSH)" };
  return [reach, ...(await probe(new LocalTransport(), needs, o))];
}

async function checkSsh(needs: HostNeeds, o: CheckHostsOptions): Promise<HostCheck[]> {
  const s = needs.settings;
  const timeout = o.connectTimeout ?? 10_000;
  const checks: HostCheck[] = [];
  // The first hop must take a TCP connection: the target, or the jump host in front of it.
  const hop = s.gateway ? parseHop(s.gateway) : { host: s.host, port: s.port ?? 22 };
  const tcp = await tcpProbe(hop.host, hop.port, timeout);
  if (tcp) return [{ name: "reachable", status: "problem", ...tcp }];
  const knownHosts = s.knownHosts ?? join(homedir(), ".ssh", "known_hosts");
  const policy = s.strictHostKeyChecking ?? "accept-new";
  const known = (await knownKeyTypes(knownHosts, s.host, s.port ?? 22)).length > 0;
  const transport = new SshTransport({ ...s, attempts: 1, connectTimeout: timeout, shells: 1 });
  try {
    try {
      await transport.connect();
    } catch (e) {
      return [...checks, ...connectFailure(e, s, hop, timeout)];
    }
    checks.push({
      name: "reachable",
      status: "ok",
      reason: `${s.gateway ? `through ${s.gateway}, ` : ""}sshd answers on ${s.host}:${s.port ?? 22}`,
    });
    checks.push({
      name: "hostKey",
      status: "ok",
      reason:
        policy === "no"
          ? "not checked (strictHostKeyChecking=no)"
          : known
            ? `matches ${knownHosts}`
            : `was unknown: recorded in ${knownHosts} (strictHostKeyChecking=accept-new)`,
    });
    checks.push({ name: "auth", status: "ok", reason: `logged in as ${s.username ?? process.env.USER ?? "root"}` });
    return [...checks, ...(await probe(transport, needs, o))];
  } finally {
    await transport.close();
  }
}

/** Runs the probe script and judges what it found; a shell that does not answer is a problem, not a hang. */
async function probe(t: Transport, needs: HostNeeds, o: CheckHostsOptions): Promise<HostCheck[]> {
  const ms = o.commandTimeout ?? 20_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), ms)));
  try {
    const r = await Promise.race([
      t.exec(
        probeScript(
          needs.packages.map((p) => p.name),
          needs.sudo.length > 0,
        ),
      ),
      timedOut,
    ]);
    if (r === "timeout")
      return [
        {
          name: "shell",
          status: "problem",
          reason: `the shell did not answer within ${ms / 1000} s`,
          fix: "check the login shell and its start-up files on the host",
        },
      ];
    const found = parseProbe(r.stdout);
    if (r.code !== 0 || !found.os) {
      return [
        {
          name: "shell",
          status: "problem",
          reason: `the shell cannot run commands (exit ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim().split("\n").slice(-2).join(" ")}` : ""})`,
          fix: "check the login shell of the user on the host",
        },
      ];
    }
    return judgeProbe(found, needs, o.minFreeMiB ?? 100);
  } catch (e) {
    return [{ name: "shell", status: "problem", reason: `the shell cannot run commands: ${(e as Error).message}` }];
  } finally {
    clearTimeout(timer);
  }
}

function parseHop(gateway: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(gateway);
  return m ? { host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) } : { host: gateway, port: 22 };
}

/** Whether a TCP connection opens within `ms`: undefined when it does, else the reason and the fix. */
function tcpProbe(host: string, port: number, ms: number): Promise<{ reason: string; fix: string } | undefined> {
  return new Promise((resolve) => {
    const sock = tcpConnect({ host, port });
    const done = (v: { reason: string; fix: string } | undefined) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(
      () =>
        done({
          reason: `no answer from ${host}:${port} within ${ms / 1000} s`,
          fix: "check the address, that the host is up and that no firewall drops SSH",
        }),
      ms,
    );
    sock.once("connect", () => done(undefined));
    sock.once("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "ECONNREFUSED")
        done({
          reason: `${host}:${port} refused the connection: nothing listens there`,
          fix: `start sshd on ${host}, or set the port it listens on`,
        });
      else if (e.code === "ENOTFOUND" || e.code === "EAI_AGAIN")
        done({ reason: `cannot resolve ${host}`, fix: "check the hostname (or use an address)" });
      else done({ reason: `cannot connect to ${host}:${port}: ${e.message}`, fix: "check the address and the network" });
    });
  });
}

/** A failed SSH connection as checks: which step failed, why, and what to do. */
function connectFailure(e: unknown, s: HostSettings, hop: { host: string; port: number }, timeout: number): HostCheck[] {
  const msg = (e as Error).message;
  const user = s.username ?? process.env.USER ?? "root";
  const where = `${s.host}:${s.port ?? 22}`;
  const reachable: HostCheck = { name: "reachable", status: "ok", reason: `${hop.host}:${hop.port} takes TCP connections` };
  if (e instanceof SshSetupError && e.kind === "hostkey") {
    const changed = /CHANGED|@revoked/.test(msg);
    return [
      reachable,
      {
        name: "hostKey",
        status: "problem",
        reason: msg,
        fix: changed
          ? `if the change is expected: ssh-keygen -R '${s.port && s.port !== 22 ? `[${s.host}]:${s.port}` : s.host}'${s.knownHosts ? ` -f ${s.knownHosts}` : ""}`
          : `check the fingerprint, then add the key: ssh-keyscan -p ${s.port ?? 22} ${s.host} >> ${s.knownHosts ?? "~/.ssh/known_hosts"} (or set strictHostKeyChecking to accept-new)`,
      },
    ];
  }
  if (e instanceof SshSetupError && (e.kind === "auth" || e.kind === "config")) {
    return [
      reachable,
      { name: "hostKey", status: "ok", reason: "accepted" },
      {
        name: "auth",
        status: "problem",
        reason: msg,
        fix:
          e.kind === "config"
            ? "check the identity attribute: the path of a readable private key"
            : `add the key to ~${user}/.ssh/authorized_keys on ${s.host}: ssh-copy-id ${s.identity ? `-i ${s.identity} ` : ""}-p ${s.port ?? 22} ${user}@${s.host}; check that user ${user} exists`,
      },
    ];
  }
  const handshake = /handshake/i.test(msg);
  return [
    {
      name: "reachable",
      status: "problem",
      reason: handshake
        ? `${where} takes TCP connections but no SSH handshake completed within ${timeout / 1000} s: ${msg}`
        : msg,
      fix: handshake ? `check that an SSH server listens on ${where}` : "check the address, the port and the network",
    },
  ];
}
