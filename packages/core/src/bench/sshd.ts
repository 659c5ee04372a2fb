import { spawn, execFile, type ChildProcess } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * A private OpenSSH server for tests and benchmarks: its own host key, config and
 * authorized_keys for a freshly generated client key, on a free port of 127.0.0.1 (or on an
 * address inside a network namespace). Never touches /etc/ssh or ~/.ssh.
 */
export interface PrivateSshd {
  host: string;
  port: number;
  dir: string;
  /** Private key authorized on this server. */
  identity: string;
  /** A known_hosts file that holds this server's host key. */
  knownHosts: string;
  /** The host key line (`ssh-ed25519 AAAA…`). */
  hostKey: string;
  pid: number;
  /** Pids of the sshd processes serving connections now (kill them to drop the connections). */
  sessionPids(): Promise<number[]>;
  /** What sshd logged lately (its last 100–200 messages). */
  log(): string;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Listen address (default 127.0.0.1). */
  host?: string;
  port?: number;
  /** Run inside this network namespace. */
  netns?: string;
  /** Reuse this client key (and authorize it) instead of generating one. */
  identity?: string;
  /** Directory to keep the files in (default: a new temporary one). */
  dir?: string;
  maxSessions?: number;
  /** Also accept passwords (default: keys only). */
  passwordAuthentication?: boolean;
  /** Serve the SFTP subsystem (default true; false: a host where files go over the shell). */
  sftp?: boolean;
}

export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function keygen(path: string): Promise<void> {
  await rm(path, { force: true });
  await rm(path + ".pub", { force: true });
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "nepi-test", "-f", path]);
}

export async function startSshd(opts: SshdOptions = {}): Promise<PrivateSshd> {
  const host = opts.host ?? "127.0.0.1";
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), "nepi-sshd-")));
  await mkdir(dir, { recursive: true });
  // sshd reads authorized_keys as the logging-in user: the directory must be readable by all.
  await chmod(dir, 0o755);
  await mkdir("/run/sshd", { recursive: true }).catch(() => {});
  const hostKeyPath = join(dir, "host_ed25519");
  await keygen(hostKeyPath);
  let identity = opts.identity;
  if (!identity) {
    identity = join(dir, "client_key");
    await keygen(identity);
  }
  const authorized = join(dir, "authorized_keys");
  await writeFile(authorized, await readFile(identity + ".pub", "utf8"), { mode: 0o644 });
  const port = opts.port ?? (opts.netns ? 22 : await freePort(host));
  const config = join(dir, "sshd_config");
  await writeFile(
    config,
    [
      `Port ${port}`,
      `ListenAddress ${host}`,
      `HostKey ${hostKeyPath}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${authorized}`,
      "StrictModes no",
      "UsePAM no",
      "PermitRootLogin yes",
      `PasswordAuthentication ${opts.passwordAuthentication ? "yes" : "no"}`,
      "KbdInteractiveAuthentication no",
      "AllowTcpForwarding yes",
      "AllowAgentForwarding no",
      "X11Forwarding no",
      "PrintMotd no",
      "PrintLastLog no",
      "UseDNS no",
      `MaxSessions ${opts.maxSessions ?? 10}`,
      "MaxStartups 200",
      "LogLevel INFO",
      ...(opts.sftp === false ? [] : ["Subsystem sftp internal-sftp"]),
      "",
    ].join("\n"),
  );
  const hostKey = (await readFile(hostKeyPath + ".pub", "utf8")).trim().split(/\s+/).slice(0, 2).join(" ");
  const knownHosts = join(dir, "known_hosts");
  await writeFile(knownHosts, `${port === 22 ? host : `[${host}]:${port}`} ${hostKey}\n`);

  const argv = ["/usr/sbin/sshd", "-D", "-e", "-f", config];
  const child: ChildProcess = opts.netns
    ? spawn("ip", ["netns", "exec", opts.netns, ...argv], { stdio: ["ignore", "ignore", "pipe"] })
    : spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  const log: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer) => {
      const text = c.toString();
      log.push(text);
      if (log.length > 200) log.splice(0, 100);
      if (/Server listening on/.test(text)) resolve();
    };
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`sshd exited with ${code} before listening: ${log.join("")}`)));
    child.once("error", reject);
  });
  // The listener above goes on keeping the log (read by `log()`).
  const pid = child.pid!;
  const sessionPids = async () => {
    const r = await run("ps", ["-o", "pid=", "--ppid", String(pid)]).catch(() => ({ stdout: "" }));
    return r.stdout.split(/\s+/).filter(Boolean).map(Number);
  };
  return {
    host,
    port,
    dir,
    identity,
    knownHosts,
    hostKey,
    pid,
    log: () => log.join(""),
    sessionPids,
    async stop() {
      // Sessions outlive the listener: end those still open (a client that never closed) too.
      const sessions = await sessionPids();
      for (const p of sessions) {
        try {
          process.kill(p, "SIGTERM");
        } catch {
          /* already gone */
        }
      }
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        });
      }
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
