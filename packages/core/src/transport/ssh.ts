import { readdir, readFile, stat } from "node:fs/promises";
import { homedir, userInfo } from "node:os";
import { join, posix } from "node:path";
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from "ssh2";
import { checkHostKey, fingerprint, knownKeyTypes, learnHostKey, type StrictHostKeyChecking } from "./known-hosts.js";
import { shq } from "./quote.js";
import { ShellChannel } from "./shell-channel.js";
import { ShellFiles } from "./shell-files.js";
import { OperationPool } from "../engine/pool.js";
import type { Readable } from "node:stream";
import type { TerminalSize } from "../model/terminal.js";
import {
  ConnectionLostError,
  SshSetupError,
  TransportClosedError,
  type ExecResult,
  type ShellHandle,
  type ShellHandlers,
  type StreamHandle,
  type StreamHandlers,
  type Transport,
} from "./types.js";

export interface SshOptions {
  host: string;
  port?: number;
  username?: string;
  /** Path of a private key. */
  identity?: string;
  password?: string;
  /** Jump host: `host` or `host:port`. */
  gateway?: string;
  gatewayUser?: string;
  /** known_hosts file (default ~/.ssh/known_hosts). */
  knownHosts?: string;
  strictHostKeyChecking?: StrictHostKeyChecking;
  /** Long-lived shell channels for control scripts (default 4). */
  shells?: number;
  /** Connect timeout, ms (default 10 s). */
  connectTimeout?: number;
  /** Connection attempts before giving up on an unreachable host (default 5). */
  attempts?: number;
}

const DEFAULT_HOST_KEY_ALGOS = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
];
const ALGOS_OF_TYPE: Record<string, string[]> = { "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] };

/** Errors of the network, worth another attempt; authentication and host key errors are not. */
function isRetryable(e: unknown): boolean {
  if (e instanceof SshSetupError) return e.kind === "connect";
  const err = e as { code?: string; level?: string; message?: string };
  if (err.level === "client-authentication") return false;
  return (
    ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "EAI_AGAIN"].includes(err.code ?? "") ||
    err.level === "client-timeout" ||
    err.level === "client-socket" ||
    /Timed out while waiting for handshake|Connection lost before handshake|closed unexpectedly/i.test(err.message ?? "")
  );
}

/** The server has no SFTP subsystem (sshd without `Subsystem sftp`). */
function isNoSftp(e: unknown): boolean {
  return /Unable to start subsystem: sftp/i.test((e as Error)?.message ?? "");
}

function isOpenFailure(e: unknown): boolean {
  return /Channel open failure|No response from server/i.test((e as Error)?.message ?? "");
}

const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, KILL: 9, PIPE: 13, TERM: 15 };

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function parseHostPort(text: string, defaultPort: number): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : defaultPort };
  const m = /^([^:]+):(\d+)$/.exec(text);
  if (m) return { host: m[1]!, port: Number(m[2]) };
  return { host: text, port: defaultPort };
}

/**
 * A host over SSH (ssh2): one connection, shared by every resource on the host, with no Nagle
 * delay and keepalives; a few long-lived shell channels for control scripts; SFTP for files
 * (or `cat` over exec channels when the host has no SFTP);
 * channels for streams. Reconnects on demand after a drop (with backoff, network errors only).
 */
export class SshTransport implements Transport {
  readonly isLocal = false;
  readonly label: string;
  private readonly opts: Required<Pick<SshOptions, "host" | "port" | "username" | "shells" | "connectTimeout" | "attempts">> &
    SshOptions;
  private client?: Promise<Client>;
  private gatewayClient?: Client;
  private shells: ShellChannel[] = [];
  private readonly opening = new Set<Promise<ShellChannel>>();
  private sftpChannel?: Promise<SFTPWrapper>;
  /** Set once the host refused SFTP: files then go over exec channels (`cat`), never SFTP again. */
  private shellFiles?: ShellFiles;
  /** File transfers over exec channels at once: they share sshd's MaxSessions with the shells and follows. */
  private readonly fileChannels = new OperationPool(2);
  private homeDir?: string;
  private closed = false;
  /** Times the connection was (re)established: tests and the bench read it. */
  connections = 0;

  constructor(opts: SshOptions) {
    this.opts = {
      ...opts,
      port: opts.port ?? 22,
      username: opts.username ?? userInfo().username,
      shells: opts.shells ?? 4,
      connectTimeout: opts.connectTimeout ?? 10_000,
      attempts: opts.attempts ?? 5,
    };
    this.label = `${this.opts.username}@${this.opts.host}:${this.opts.port}`;
  }

  async connect(): Promise<void> {
    await this.getClient();
  }

  /** The live connection, connecting (again) when there is none. */
  private getClient(): Promise<Client> {
    if (this.closed) return Promise.reject(new TransportClosedError(this.label));
    if (!this.client) {
      const p = this.connectWithRetry();
      this.client = p;
      p.catch(() => {
        if (this.client === p) this.client = undefined;
      });
    }
    return this.client;
  }

  private async connectWithRetry(): Promise<Client> {
    let wait = 250;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.connectOnce();
      } catch (e) {
        if (this.closed || !isRetryable(e) || attempt >= this.opts.attempts) {
          if (e instanceof SshSetupError || e instanceof TransportClosedError) throw e;
          const msg = (e as Error).message;
          if ((e as { level?: string }).level === "client-authentication") {
            throw new SshSetupError("auth", `${this.label}: authentication failed (${this.describeAuth()}): ${msg}`);
          }
          throw new SshSetupError("connect", `${this.label}: cannot connect after ${attempt} attempt(s): ${msg}`);
        }
        await delay(wait);
        wait *= 2;
      }
    }
  }

  private describeAuth(): string {
    const ways: string[] = [];
    if (this.opts.identity) ways.push(`key ${this.opts.identity}`);
    if (this.opts.password !== undefined) ways.push("password");
    if (process.env.SSH_AUTH_SOCK) ways.push("ssh-agent");
    if (!this.opts.identity && this.opts.password === undefined) ways.push("default keys in ~/.ssh");
    return `user ${this.opts.username}, tried ${ways.join(", ") || "nothing"}`;
  }

  private async authConfig(username: string): Promise<Partial<ConnectConfig>> {
    const cfg: Partial<ConnectConfig> = { username };
    if (this.opts.identity) {
      try {
        cfg.privateKey = await readFile(this.opts.identity);
      } catch (e) {
        throw new SshSetupError("config", `${this.label}: cannot read identity ${this.opts.identity}: ${(e as Error).message}`);
      }
    } else if (this.opts.password === undefined) {
      for (const name of ["id_ed25519", "id_ecdsa", "id_rsa"]) {
        try {
          cfg.privateKey = await readFile(join(homedir(), ".ssh", name));
          break;
        } catch {
          /* try the next one */
        }
      }
    }
    if (this.opts.password !== undefined) cfg.password = this.opts.password;
    if (process.env.SSH_AUTH_SOCK) cfg.agent = process.env.SSH_AUTH_SOCK;
    return cfg;
  }

  /** One handshake with one host (the target, or the gateway), checking its host key. */
  private async handshake(host: string, port: number, username: string, sock?: NodeJS.ReadWriteStream): Promise<Client> {
    const knownHosts = this.opts.knownHosts ?? join(homedir(), ".ssh", "known_hosts");
    const policy = this.opts.strictHostKeyChecking ?? "accept-new";
    const preferred = (await knownKeyTypes(knownHosts, host, port)).flatMap((t) => ALGOS_OF_TYPE[t] ?? [t]);
    const auth = await this.authConfig(username);
    const client = new Client();
    let hostKeyProblem: string | undefined;
    let learn: string | undefined;
    return await new Promise<Client>((resolve, reject) => {
      let settled = false;
      // An async listener is safe here: its one await cannot reject (the catch swallows it).
      // eslint-disable-next-line @typescript-eslint/no-misused-promises
      client.on("ready", async () => {
        if (learn) await learnHostKey(knownHosts, learn).catch(() => {});
        settled = true;
        client.setNoDelay(true);
        resolve(client);
      });
      client.on("error", (e: Error) => {
        if (settled) return;
        settled = true;
        client.end();
        if (hostKeyProblem)
          reject(new SshSetupError("hostkey", `${username}@${host}:${port}: host key verification failed: ${hostKeyProblem}`));
        else reject(e);
      });
      client.on("close", () => {
        if (!settled) {
          settled = true;
          reject(
            Object.assign(new Error(`${host}:${port}: connection closed unexpectedly during the handshake`), {
              level: "client-socket",
            }),
          );
        }
      });
      const config: ConnectConfig = {
        host,
        port,
        ...auth,
        readyTimeout: this.opts.connectTimeout,
        keepaliveInterval: 5000,
        keepaliveCountMax: 3,
        algorithms: {
          serverHostKey: [
            ...new Set([...preferred.filter((a) => DEFAULT_HOST_KEY_ALGOS.includes(a)), ...DEFAULT_HOST_KEY_ALGOS]),
          ] as never,
        },
        hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
          checkHostKey({ file: knownHosts, host, port, key, policy }).then(
            (v) => {
              if (v.ok) learn = v.learn;
              else hostKeyProblem = v.reason;
              verify(v.ok);
            },
            (e: Error) => {
              hostKeyProblem = `cannot read ${knownHosts}: ${e.message} (key ${fingerprint(key)})`;
              verify(false);
            },
          );
        },
      } as ConnectConfig;
      if (sock) config.sock = sock as never;
      client.connect(config);
    });
  }

  private async connectOnce(): Promise<Client> {
    let sock: NodeJS.ReadWriteStream | undefined;
    if (this.opts.gateway) {
      const gw = parseHostPort(this.opts.gateway, 22);
      let gwClient: Client;
      try {
        gwClient = await this.handshake(gw.host, gw.port, this.opts.gatewayUser ?? this.opts.username);
      } catch (e) {
        // Same error (its retry class kept), saying that it is the jump host that failed.
        if (e instanceof Error) e.message = `gateway ${gw.host}:${gw.port}: ${e.message}`;
        throw e;
      }
      this.gatewayClient = gwClient;
      sock = await new Promise<ClientChannel>((resolve, reject) =>
        gwClient.forwardOut("127.0.0.1", 0, this.opts.host, this.opts.port, (err, stream) =>
          err ? reject(Object.assign(err, { level: "client-socket" })) : resolve(stream),
        ),
      );
    }
    let client: Client;
    try {
      client = await this.handshake(this.opts.host, this.opts.port, this.opts.username, sock);
    } catch (e) {
      this.gatewayClient?.end();
      throw e;
    }
    if (this.closed) {
      // Released while connecting: do not keep a connection nobody will close.
      client.end();
      this.gatewayClient?.end();
      throw new TransportClosedError(this.label);
    }
    this.connections++;
    const gwClient = this.gatewayClient;
    client.on("close", () => {
      this.deadClients.add(client);
      // The connection dropped (or was ended): channels are gone; the next use reconnects.
      if (this.client && this.currentClient === client) {
        this.client = undefined;
        this.currentClient = undefined;
        this.sftpChannel = undefined;
        for (const s of this.shells) s.close();
        this.shells = [];
      }
      gwClient?.end();
    });
    client.on("error", () => {
      /* 'close' follows; commands in flight fail with ConnectionLostError */
    });
    this.currentClient = client;
    return client;
  }
  private currentClient?: Client;
  private readonly deadClients = new WeakSet<Client>();

  /** Opens a channel, waiting and retrying while the server refuses it (MaxSessions): never a failure of the caller. */
  private async openChannel<T>(open: (c: Client, cb: (err: Error | undefined, ch: T) => void) => void): Promise<T> {
    let wait = 10;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const client = await this.getClient();
      try {
        return await new Promise<T>((resolve, reject) => open(client, (err, ch) => (err ? reject(err) : resolve(ch))));
      } catch (e) {
        if (!isOpenFailure(e) || Date.now() > deadline) throw e;
        await delay(wait);
        wait = Math.min(wait * 2, 500);
      }
    }
  }

  private async controlShell(): Promise<ShellChannel> {
    this.shells = this.shells.filter((s) => s.isOpen);
    const idle = this.shells.find((s) => s.load === 0);
    if (idle) return idle;
    if (this.shells.length + this.opening.size < this.opts.shells) {
      const p = this.openChannel<ClientChannel>((c, cb) => c.exec("exec sh", cb)).then((ch) => {
        const shell = new ShellChannel(ch, this.label);
        this.shells.push(shell);
        return shell;
      });
      this.opening.add(p);
      p.then(
        () => this.opening.delete(p),
        () => this.opening.delete(p),
      );
      return p;
    }
    // Every channel is busy (scripts are pipelined on them) or still opening: take the least loaded.
    if (this.shells.length === 0) return Promise.any(this.opening).catch(() => this.controlShell());
    return this.shells.reduce((a, b) => (b.load < a.load ? b : a));
  }

  async exec(script: string): Promise<ExecResult> {
    for (let attempt = 0; ; attempt++) {
      const shell = await this.controlShell();
      try {
        return await shell.run(script);
      } catch (e) {
        // A script that never left (its channel closed first) is safe to send on a new one.
        if (!(e instanceof ConnectionLostError) || e.sent || attempt >= 3) throw e;
      }
    }
  }

  async home(): Promise<string> {
    if (!this.homeDir) {
      const r = await this.exec('printf %s "$HOME"');
      this.homeDir = r.stdout;
    }
    return this.homeDir;
  }

  stream(script: string, handlers: StreamHandlers): StreamHandle {
    let channel: ClientChannel | undefined;
    let closed = false;
    let ended = false;
    const end = (error?: Error) => {
      if (ended) return;
      ended = true;
      handlers.end(error);
    };
    // Through `sh`, whatever the user's login shell is (csh, fish…).
    this.openChannel<ClientChannel>((c, cb) => c.exec(`exec sh -c ${shq(script)}`, cb)).then(
      (ch) => {
        channel = ch;
        if (closed) return ch.end();
        handlers.open?.();
        ch.on("data", (d: Buffer) => handlers.data(d));
        ch.stderr.resume();
        ch.on("close", () => end(closed ? undefined : new ConnectionLostError(`${this.label}: stream ended`)));
        ch.on("error", (e: Error) => end(e));
      },
      (e: Error) => end(e),
    );
    return {
      close: () => {
        closed = true;
        // EOF on the remote script's stdin ends it (see follower.ts), then the channel closes.
        channel?.end();
      },
    };
  }

  /** The user's login shell on a pty, over a shell channel of the shared connection. */
  shell(size: TerminalSize, handlers: ShellHandlers): ShellHandle {
    let channel: ClientChannel | undefined;
    let closed = false;
    let ended = false;
    let code: number | undefined;
    // What the pane sent while the channel was opening, in order.
    const pending: Array<string | Buffer> = [];
    let pendingSize: TerminalSize | undefined;
    const end = (error?: Error) => {
      if (ended) return;
      ended = true;
      handlers.end(error, code);
    };
    this.openChannel<ClientChannel>((c, cb) =>
      c.shell({ term: "xterm-256color", cols: size.cols, rows: size.rows, width: 0, height: 0 }, cb),
    ).then(
      (ch) => {
        channel = ch;
        if (closed) {
          ch.close();
          return end();
        }
        handlers.open?.();
        ch.on("data", (d: Buffer) => handlers.data(d));
        ch.stderr.on("data", (d: Buffer) => handlers.data(d));
        ch.on("exit", (c: number | null, signal?: string) => {
          code = c ?? (signal ? 128 + (SIGNALS[signal] ?? 0) : undefined);
        });
        ch.on("close", () =>
          end(
            closed || code !== undefined ? undefined : new ConnectionLostError(`${this.label}: the shell's connection was lost`),
          ),
        );
        ch.on("error", (e: Error) => end(e));
        if (pendingSize) ch.setWindow(pendingSize.rows, pendingSize.cols, 0, 0);
        for (const d of pending.splice(0)) ch.write(d);
      },
      (e: Error) => end(e),
    );
    return {
      write: (data) => {
        if (ended || closed) return;
        if (channel) channel.write(data);
        else pending.push(data);
      },
      resize: (s) => {
        if (ended || closed) return;
        if (channel) channel.setWindow(s.rows, s.cols, 0, 0);
        else pendingSize = s;
      },
      close: () => {
        if (closed) return;
        closed = true;
        // Closing the channel closes its pty on the host: sshd hangs up the shell's session.
        channel?.close();
      },
    };
  }

  /** Whether the host serves SFTP, learned once (the first file operation asks). */
  get hasSftp(): boolean | undefined {
    return this.shellFiles ? false : this.sftpChannel ? true : undefined;
  }

  /** SFTP, or the shell fallback when the host has no SFTP subsystem (detected once per host). */
  private async files(): Promise<SFTPWrapper | ShellFiles> {
    if (this.shellFiles) return this.shellFiles;
    try {
      return await this.sftp();
    } catch (e) {
      if (!isNoSftp(e)) throw e;
      this.shellFiles ??= new ShellFiles(
        (script) => this.exec(script),
        (script, input, output) => this.rawExec(script, input, output),
        this.label,
      );
      return this.shellFiles;
    }
  }

  /** A script on an exec channel of its own, bytes in and out unchanged (see ShellFiles). */
  private rawExec(
    script: string,
    input: Buffer | Readable | undefined,
    output: (chunk: Buffer) => void,
  ): Promise<{ code: number; stderr: string }> {
    return this.fileChannels.run(async () => {
      const ch = await this.openChannel<ClientChannel>((c, cb) => c.exec(`exec sh -c ${shq(script)}`, cb));
      return new Promise<{ code: number; stderr: string }>((resolve, reject) => {
        let code: number | undefined;
        const err: Buffer[] = [];
        ch.on("data", (d: Buffer) => output(d));
        ch.stderr.on("data", (d: Buffer) => err.push(d));
        ch.on("exit", (c: number | null, signal?: string) => {
          code = c ?? (signal ? 128 : -1);
        });
        ch.on("error", (e: Error) => reject(e));
        ch.on("close", () => {
          if (code === undefined) reject(new ConnectionLostError(`${this.label}: the connection closed during a file transfer`));
          else resolve({ code, stderr: Buffer.concat(err).toString("utf8") });
        });
        if (input === undefined) ch.end();
        else if (Buffer.isBuffer(input)) ch.end(input);
        else {
          input.on("error", (e) => {
            reject(e);
            ch.close();
          });
          input.pipe(ch);
        }
      });
    });
  }

  private sftp(): Promise<SFTPWrapper> {
    if (!this.sftpChannel) {
      const p = this.openChannel<SFTPWrapper>((c, cb) => c.sftp(cb));
      this.sftpChannel = p;
      p.then(
        (s) => s.on("close", () => this.sftpChannel === p && (this.sftpChannel = undefined)),
        () => this.sftpChannel === p && (this.sftpChannel = undefined),
      );
    }
    return this.sftpChannel;
  }

  private async abs(path: string): Promise<string> {
    if (path.startsWith("~/")) return posix.join(await this.home(), path.slice(2));
    return path;
  }

  async readFile(path: string): Promise<Buffer> {
    const sftp = await this.files();
    const p = await this.abs(path);
    if (sftp instanceof ShellFiles) return sftp.readFile(p);
    return new Promise((resolve, reject) => sftp.readFile(p, (err, data) => (err ? reject(withPath(err, p)) : resolve(data))));
  }

  async readRange(path: string, start: number, length: number): Promise<Buffer> {
    const sftp = await this.files();
    const p = await this.abs(path);
    if (sftp instanceof ShellFiles) return sftp.readRange(p, start, length);
    return new Promise((resolve, reject) => {
      sftp.open(p, "r", (err, handle) => {
        if (err) return reject(withPath(err, p));
        const buf = Buffer.alloc(length);
        let got = 0;
        const step = () => {
          if (got >= length) return done();
          sftp.read(handle, buf, got, length - got, start + got, (e, n) => {
            if (e || n === 0) return done(e && !/EOF|End of file/i.test(e.message) ? e : undefined);
            got += n;
            step();
          });
        };
        const done = (e?: Error) => sftp.close(handle, () => (e ? reject(e) : resolve(buf.subarray(0, got))));
        step();
      });
    });
  }

  async size(path: string): Promise<number> {
    const sftp = await this.files();
    const p = await this.abs(path);
    if (sftp instanceof ShellFiles) {
      const r = await this.exec(`stat -L -c %s -- ${shq(p)} 2>/dev/null || echo -1`);
      return Number(r.stdout.trim());
    }
    return new Promise((resolve) => sftp.stat(p, (err, st) => resolve(err ? -1 : st.size)));
  }

  async writeFile(path: string, data: string | Buffer, mode?: number): Promise<void> {
    const sftp = await this.files();
    const p = await this.abs(path);
    if (sftp instanceof ShellFiles) return sftp.writeFile(p, Buffer.from(data), mode);
    await new Promise<void>((resolve, reject) =>
      sftp.writeFile(p, data, mode !== undefined ? { mode } : {}, (err) => (err ? reject(withPath(err, p)) : resolve())),
    );
  }

  async upload(localPath: string, remotePath: string): Promise<void> {
    const dest = await this.abs(remotePath);
    const st = await stat(localPath);
    if (st.isDirectory()) {
      const files: string[] = [];
      const dirs: string[] = [dest];
      const walk = async (dir: string, rel: string) => {
        for (const e of await readdir(dir, { withFileTypes: true })) {
          const r = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory()) {
            dirs.push(posix.join(dest, r));
            await walk(join(dir, e.name), r);
          } else if (e.isFile()) files.push(r);
        }
      };
      await walk(localPath, "");
      await this.mustExec(`mkdir -p ${dirs.map(shq).join(" ")}`);
      const sftp = await this.files();
      await Promise.all(
        files.map(async (r) => {
          const local = join(localPath, ...r.split("/"));
          // Each file keeps its own mode (an executable script stays executable).
          const mode = (await stat(local)).mode;
          return sftp instanceof ShellFiles
            ? sftp.upload(local, posix.join(dest, r), mode)
            : fastPut(sftp, local, posix.join(dest, r), mode);
        }),
      );
    } else {
      await this.mustExec(`mkdir -p ${shq(posix.dirname(dest))}`);
      const sftp = await this.files();
      await (sftp instanceof ShellFiles ? sftp.upload(localPath, dest, st.mode) : fastPut(sftp, localPath, dest, st.mode));
    }
  }

  async download(remotePath: string, localPath: string): Promise<void> {
    const sftp = await this.files();
    const p = await this.abs(remotePath);
    if (sftp instanceof ShellFiles) return sftp.download(p, localPath);
    await new Promise<void>((resolve, reject) =>
      sftp.fastGet(p, localPath, (err) => (err ? reject(withPath(err, p)) : resolve())),
    );
  }

  private async mustExec(script: string): Promise<void> {
    const r = await this.exec(script);
    if (r.code !== 0) throw new Error(`${this.label}: ${script}: ${r.stderr.trim() || `exit ${r.code}`}`);
  }

  /** Drops the connection at once (as a network failure would): for tests of the reconnect. */
  dropConnection(): void {
    this.currentClient?.destroy();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.shells) s.close();
    this.shells = [];
    const c = this.currentClient;
    this.client = undefined;
    this.currentClient = undefined;
    if (c && !this.deadClients.has(c)) {
      await new Promise<void>((resolve) => {
        c.once("close", () => resolve());
        c.end();
      });
    }
    this.gatewayClient?.end();
  }
}

function fastPut(sftp: SFTPWrapper, local: string, remote: string, mode: number): Promise<void> {
  return new Promise((resolve, reject) =>
    sftp.fastPut(local, remote, { mode: mode & 0o777 }, (err) => (err ? reject(withPath(err, remote)) : resolve())),
  );
}

function withPath(err: Error, path: string): Error {
  return new Error(`${path}: ${err.message}`);
}
