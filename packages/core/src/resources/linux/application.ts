import { mkdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import type { AttributeValue } from "../../model/catalog-schema.js";
import type {
  ResourceContext,
  ResourceManager,
  TraceCollection,
  TraceQuery,
  TraceResult,
} from "../../engine/resource-manager.js";
import { FileFollower } from "../../transport/follower.js";
import { shq } from "../../transport/quote.js";
import type { Transport } from "../../transport/types.js";
import type { Host } from "../../engine/host.js";
import { getResourceType, registerResourceManager } from "../../catalog/registry.js";
import { LINUX_APPLICATION } from "../../catalog/types/linux-application.js";
import { lastLines } from "./node.js";
import { execBatched } from "../../transport/exec-batch.js";
import {
  ATTEMPT_OUTPUTS,
  appMarker,
  endGroupsScript,
  endMarkedScript,
  launchScript,
  neededPackages,
  parseEnv,
  runMarker,
  startScript,
  wrapperScript,
  writeFileScript,
} from "./scripts.js";

/** How long a stopped command gets to end after SIGTERM before its group gets SIGKILL, s. */
const STOP_GRACE_S = 3;

function text(v: AttributeValue | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : String(v);
}

/**
 * linux::Application, and the base of the tool resources (ping, iperf3…), which only differ by
 * the command they build from their attributes and the packages they need. The command runs
 * detached on the host (it survives a dropped connection) in `${APP_HOME}`; its exit is pushed
 * by the host over its event channel.
 */
export class LinuxApplicationManager implements ResourceManager {
  /** The host it runs on, once asked for (`ctx.host()`). */
  private host_?: Host;
  private pid?: { pid: number; start: string };
  private exitCode?: number;
  private exitWaiters: Array<() => void> = [];
  private unlisten?: () => void;
  private stopping = false;
  private released = false;
  private readonly collected = new Set<string>();
  /** Enabled traces the release could not collect, and why: reading one says so. */
  private readonly notCollected = new Map<string, string>();
  /** Live follows of this application's traces: completed with one read when it exits. */
  private readonly followers = new Set<FileFollower>();
  /** The attempts that ran the command, in order (a retry keeps each one's output apart). */
  private readonly attempts: number[] = [];

  constructor(readonly ctx: ResourceContext) {}

  /** The shell command to run (the user's own for linux::Application). */
  protected command(): string {
    const c = text(this.attr("command"));
    if (!c) throw new Error(`attribute "command" is required`);
    return c;
  }

  /**
   * An attribute's value, with the placeholders of its host's network resolved (`${ip:LABEL}` on
   * an emulated host): what commands are built from.
   */
  protected attr(name: string): AttributeValue | undefined {
    const v = this.ctx.get(name);
    if (typeof v !== "string" || !v.includes("${")) return v;
    const host = this.host();
    return host.expand ? host.expand(v) : v;
  }

  protected get transport(): Transport {
    return this.host().transport;
  }

  protected host(): Host {
    return (this.host_ ??= this.ctx.host());
  }

  /** ${APP_HOME} */
  get home(): string {
    return this.host().homeOf(this.ctx.guid);
  }

  /** The placeholders NEPI users write in commands, exported to the command's environment. */
  protected placeholders(): Array<[string, string]> {
    const p = this.host().paths;
    return [
      ["APP_HOME", this.home],
      ["SRC", `${this.home}/src`],
      ["BIN", `${p.usr}/bin`],
      ["LIB", `${p.usr}/lib`],
      ["SHARE", `${p.usr}/share`],
      ["RUN_HOME", p.run],
      ["NODE_HOME", p.node],
      ["EXP_HOME", p.exp],
    ];
  }

  private exports(): string[] {
    const vars = [...this.placeholders(), ...parseEnv(text(this.attr("env")))];
    return [
      ...vars.map(([k, v]) => `export ${k}=${shq(v)}`),
      'export PATH="$BIN:$PATH"',
      'export LD_LIBRARY_PATH="$LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"',
    ];
  }

  async provision(): Promise<void> {
    const host = this.host();
    const t = host.transport;
    const sudo = this.ctx.get("sudo") === true;
    const command = this.command();
    const stdin = text(this.attr("stdin"));
    const exports = this.exports();
    // One round trip: the directories, the command, the wrapper and stdin.
    const script = [
      `mkdir -p ${shq(this.home)} ${shq(`${this.home}/src`)}`,
      `cd ${shq(this.home)}`,
      writeFileScript("cmd.sh", command + "\n"),
      writeFileScript("launch.sh", launchScript(sudo)),
      writeFileScript(
        "wrapper.sh",
        wrapperScript({
          guid: this.ctx.guid,
          appHome: this.home,
          eventsFile: host.paths.events,
          exports,
          markers: [runMarker(this.ctx.runId), appMarker(this.ctx.runId, this.ctx.guid)],
          hasStdin: stdin !== undefined,
        }),
      ),
      ...(stdin !== undefined ? [writeFileScript("stdin", stdin)] : []),
    ].join(" &&\n");
    // Batched with the other applications prepared in this turn: one process, not one each (and
    // no pool slot held meanwhile, so that more can join).
    const r = await this.ctx.outsidePool(execBatched(t, script));
    if (r.code !== 0) throw new Error(`preparing ${this.home} on ${t.label} failed: ${lastLines(r.stderr) || `exit ${r.code}`}`);

    for (const [attr, dest] of [
      ["sources", `${this.home}/src`],
      ["files", this.home],
    ] as const) {
      for (const local of (text(this.ctx.get(attr)) ?? "")
        .split(";")
        .map((s) => s.trim())
        .filter(Boolean)) {
        try {
          await stat(local);
        } catch {
          throw new Error(`attribute "${attr}": local path ${local} does not exist`);
        }
        await t.upload(local, `${dest}/${basename(local)}`);
      }
    }
    const packages = neededPackages(getResourceType(this.ctx.rtype), (n) => this.ctx.get(n));
    await host.install(packages, sudo);
    for (const step of ["build", "install"] as const) {
      const code = text(this.attr(step));
      if (!code) continue;
      const run = [...exports, `cd "$SRC"`, code].join("\n");
      const res = await t.exec(run);
      if (res.code !== 0)
        throw new Error(`${step} failed with exit code ${res.code}: ${lastLines(res.stderr) || lastLines(res.stdout)}`);
    }
  }

  async start(): Promise<void> {
    const host = this.host();
    this.exitCode = undefined;
    this.stopping = false;
    host.events.forget(this.ctx.guid);
    this.unlisten?.();
    this.unlisten = host.events.listen(
      this.ctx.guid,
      (code) => this.onExit(code),
      (error) =>
        !this.stopping && !this.released && this.ctx.failed(`lost contact with ${host.transport.label}: ${error.message}`),
    );
    const earlier = this.attempts.at(-1);
    this.attempts.push(this.ctx.attempt);
    const r = await this.ctx.outsidePool(execBatched(host.transport, startScript(this.home, earlier)));
    const m = /^(\d+) (\d+)\s*$/.exec(r.stdout);
    if (r.code !== 0 || !m)
      throw new Error(
        `starting on ${host.transport.label} failed: ${lastLines(r.stderr) || `no pid (exit ${r.code}, output ${JSON.stringify(r.stdout)})`}`,
      );
    this.pid = { pid: Number(m[1]), start: m[2]! };
    const ready = this.readyWhen();
    if (ready) await this.waitReady(ready.trace, ready.pattern);
  }

  /** A tool that needs a moment before it serves (a server listening) says what to wait for. */
  protected readyWhen(): { trace: string; pattern: RegExp } | undefined {
    return undefined;
  }

  /** STARTED only once the command printed `pattern` (pushed by tail -F), or fails if it exits first. */
  private waitReady(trace: string, pattern: RegExp): Promise<void> {
    return new Promise((resolve, reject) => {
      let seen = "";
      let done = false;
      const finish = (err?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        stopFollow();
        this.exitWaiters = this.exitWaiters.filter((w) => w !== onExit);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => finish(new Error(`not ready after 30s (waiting for ${pattern} in ${trace})`)), 30_000);
      // Not a limited trace follow: a start must never wait behind other follows.
      const stopFollow = this.follow(trace, 0, false, (chunk) => {
        seen = (seen + chunk).slice(-4096);
        if (pattern.test(seen)) finish();
      });
      // An exit before being ready is reported by onExit (FINISHED/FAILED); STARTED is still reached.
      const onExit = () => finish();
      this.exitWaiters.push(onExit);
    });
  }

  private onExit(code: number): void {
    this.exitCode = code;
    // The files are complete: deliver their rest and free the follow channels.
    for (const f of this.followers)
      f.finish().catch((e: Error) => this.ctx.log(`reading the end of a trace failed: ${e.message}`));
    this.followers.clear();
    for (const w of this.exitWaiters.splice(0)) w();
    if (this.stopping || this.released) return;
    if (code === 0) {
      this.ctx.finished();
      return;
    }
    this.failureDetail().then(
      (detail) => this.ctx.failed(`exit code ${code}${detail ? `: ${detail}` : ""}`),
      () => this.ctx.failed(`exit code ${code}`),
    );
  }

  /** Why the command failed, in its own words: the last lines of its stderr. */
  protected async failureDetail(): Promise<string> {
    const r = await this.transport.exec(`tail -n 5 ${shq(`${this.home}/stderr`)}`);
    return r.stdout.trim();
  }

  /** Resolves when the command exited, or after `ms` (false then). */
  private waitExit(ms: number): Promise<boolean> {
    if (this.exitCode !== undefined) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.exitWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Ends the command's whole process group (SIGTERM, then SIGKILL); returns once every process of it is gone. */
  private async endGroup(): Promise<void> {
    if (!this.pid || this.exitCode !== undefined) return;
    const sudo = this.ctx.get("sudo") === true;
    await this.transport.exec(endGroupsScript([this.home], STOP_GRACE_S, sudo));
    // The wrapper reports the exit right after; wait for it, so that the exit code is known.
    // (A host without procps' pidwait only got SIGTERM: SIGKILL what did not end by then.)
    if (!(await this.waitExit(STOP_GRACE_S * 1000))) {
      await this.transport.exec(endGroupsScript([this.home], 0, sudo));
      await this.waitExit(STOP_GRACE_S * 1000);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.endGroup();
    // What left the group (setsid, a daemon) still carries this application's marker.
    if (this.pid)
      await this.transport.exec(
        endMarkedScript([appMarker(this.ctx.runId, this.ctx.guid)], STOP_GRACE_S, this.ctx.get("sudo") === true),
      );
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      if (this.host_ && this.pid && this.exitCode === undefined) {
        this.stopping = true;
        await this.endGroup();
      }
    } finally {
      this.unlisten?.();
    }
  }

  // ---------------------------------------------------------------- traces

  /** The file of a trace in ${APP_HOME}: stdout, stderr, pcap, or any file by name. */
  protected tracePath(name: string): string {
    if (!name || name.includes("/") || name === "." || name === "..")
      throw new Error(`trace "${name}": expected a file name in the application's directory`);
    return `${this.home}/${name}`;
  }

  private localDir(): string {
    const label = (this.ctx.label ?? this.ctx.rtype.split("::")[1] ?? "resource").replace(/[^A-Za-z0-9._-]+/g, "_");
    return join(this.ctx.runDir, `${this.ctx.guid}-${label}`);
  }

  async collectTraces(): Promise<TraceCollection | void> {
    const traces = this.ctx.enabledTraces();
    if (!traces.length || !this.host_) return;
    // Release follows: end a command still running first, so its files are complete (tcpdump
    // writes its last packets on SIGTERM).
    if (this.pid && this.exitCode === undefined) {
      this.stopping = true;
      await this.endGroup();
    }
    const dir = this.localDir();
    await mkdir(dir, { recursive: true });
    const t = this.transport;
    const missing: TraceCollection["missing"] = [];
    // The output of earlier attempts, kept apart (`stdout.1`): there when those attempts wrote it.
    const earlier = this.attempts.slice(0, -1);
    const outputs = traces.filter((n) => (ATTEMPT_OUTPUTS as readonly string[]).includes(n));
    await Promise.all(
      outputs
        .flatMap((name) => earlier.map((k) => `${name}.${k}`))
        .map(async (name) => {
          const remote = this.tracePath(name);
          if ((await t.size(remote).catch(() => -1)) < 0) return;
          await t.download(remote, join(dir, name)).then(
            () => this.collected.add(name),
            (e: Error) => missing.push({ name, reason: `copying it from ${t.label} failed: ${e.message}` }),
          );
        }),
    );
    await Promise.all(
      traces.map(async (name) => {
        try {
          const remote = this.tracePath(name);
          if ((await t.size(remote)) < 0) {
            // Never started here: there is nothing to lose. Started: the file should be there.
            if (this.pid) missing.push({ name, reason: `${remote} does not exist on ${t.label}` });
            return;
          }
          await t.download(remote, join(dir, name));
          this.collected.add(name);
        } catch (e) {
          missing.push({ name, reason: `copying it from ${t.label} failed: ${(e as Error).message}` });
        }
      }),
    );
    for (const m of missing) this.notCollected.set(m.name, m.reason);
    return { missing };
  }

  async trace(name: string, query: TraceQuery): Promise<TraceResult> {
    const attr = query.attr ?? "ALL";
    const local = join(this.localDir(), name);
    const useLocal = this.collected.has(name) && (this.released || !this.host_?.isConnected);
    if (attr === "PATH") return this.collected.has(name) ? local : this.tracePath(name);
    if (useLocal || this.released) {
      const lost = this.notCollected.get(name);
      if (lost !== undefined) throw new Error(`trace "${name}" could not be collected: ${lost}`);
      const data = await readFile(local).catch(() => Buffer.alloc(0));
      if (attr === "SIZE") return data.length;
      if (attr === "STREAM") {
        const block = query.block ?? 512;
        const from = (query.offset ?? 0) * block;
        return data.subarray(from, from + block).toString("utf8");
      }
      return data.toString("utf8");
    }
    const t = this.transport;
    const path = this.tracePath(name);
    if (attr === "SIZE") return Math.max(0, await t.size(path));
    if (attr === "STREAM") {
      const block = query.block ?? 512;
      return (await t.readRange(path, (query.offset ?? 0) * block, block).catch(() => Buffer.alloc(0))).toString("utf8");
    }
    if ((await t.size(path)) < 0) return "";
    return (await t.readFile(path)).toString("utf8");
  }

  followTrace(name: string, offset: number, onChunk: (chunk: string, offset: number) => void): () => void {
    if (this.released || !this.host_?.isConnected) {
      // The host is gone: what was collected is all there will be.
      let cancelled = false;
      readFile(join(this.localDir(), name)).then(
        (data) => !cancelled && data.length > offset && onChunk(data.subarray(offset).toString("utf8"), offset),
        () => {},
      );
      return () => {
        cancelled = true;
      };
    }
    return this.follow(name, offset, true, onChunk);
  }

  private follow(name: string, offset: number, limited: boolean, onChunk: (chunk: string, offset: number) => void): () => void {
    const path = this.tracePath(name);
    if (this.exitCode !== undefined) {
      // Ended: the file is complete, one read gives the rest.
      let cancelled = false;
      (async () => {
        const size = await this.transport.size(path);
        const decoder = new StringDecoder("utf8");
        let textAt = offset;
        for (let at = offset; at < size && !cancelled;) {
          const chunk = await this.transport.readRange(path, at, Math.min(size - at, 1 << 20));
          if (chunk.length === 0) break;
          at += chunk.length;
          const text = decoder.write(chunk);
          if (text && !cancelled) onChunk(text, textAt);
          textAt += Buffer.byteLength(text);
        }
      })().catch(() => {});
      return () => {
        cancelled = true;
      };
    }
    const follower = new FileFollower(
      this.transport,
      path,
      offset,
      onChunk,
      (e) => this.ctx.log(`following ${name} stopped: ${e.message}`),
      limited,
    );
    this.followers.add(follower);
    return () => {
      this.followers.delete(follower);
      follower.close();
    };
  }
}

registerResourceManager(LINUX_APPLICATION.rtype, (ctx) => new LinuxApplicationManager(ctx));
