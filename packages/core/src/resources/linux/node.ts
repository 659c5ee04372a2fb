import type { AttributeValue } from "../../model/catalog-schema.js";
import type { ResourceContext, ResourceHandle, ResourceManager } from "../../engine/resource-manager.js";
import type { Host, HostPaths, HostReach, ReachOptions } from "../../engine/host.js";
import { registerResourceManager } from "../../catalog/registry.js";
import { registerHostSettings } from "../host-settings.js";
import { LINUX_NODE } from "../../catalog/types/linux-node.js";
import { ExitEvents } from "../../transport/follower.js";
import { acquireTransport, releaseTransport, type HostSettings } from "../../transport/pool.js";
import { shq } from "../../transport/quote.js";
import type { Transport } from "../../transport/types.js";
import type { StrictHostKeyChecking } from "../../transport/known-hosts.js";
import { appMarker, endGroupsScript, endMarkedScript, installScript } from "./scripts.js";

/** How long what is left of a run gets to end after SIGTERM before SIGKILL, s. */
const STOP_GRACE_S = 3;

interface SharedEvents {
  events: ExitEvents;
  users: number;
}
/** One event channel per host and run, shared by the node resources that point at the same host. */
const EVENTS = new WeakMap<Transport, Map<string, SharedEvents>>();

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** The commands a host must have for the engine to run anything there (checked at discover and by the host check). */
export const HOST_COMMANDS = ["setsid", "tail", "sed", "cut"];

/** How a linux::Node is reached: over SSH, or the local machine for a bare `localhost`. */
export function nodeSettings(g: (name: string) => AttributeValue | undefined): HostSettings {
  const port = g("port");
  const password = g("password");
  return {
    host: str(g("hostname")) ?? "localhost",
    port: typeof port === "number" ? port : 22,
    username: str(g("username")),
    identity: str(g("identity")),
    password: typeof password === "string" && password !== "" ? password : undefined,
    gateway: str(g("gateway")),
    gatewayUser: str(g("gatewayUser")),
    knownHosts: str(g("knownHosts")),
    strictHostKeyChecking: (str(g("strictHostKeyChecking")) as StrictHostKeyChecking | undefined) ?? "accept-new",
  };
}

/** linux::Node: a host reached over SSH, or the local machine; it lends the resources on it `ctx.host()`. */
export class LinuxNodeManager implements ResourceManager, Host {
  private transport_?: Transport;
  private paths_?: HostPaths;
  private events_?: ExitEvents;
  private installs: Promise<unknown> = Promise.resolve();
  /** Packages an install on this host made sure of: the next application asking for them costs no process. */
  private readonly installed = new Set<string>();
  private released = false;

  constructor(readonly ctx: ResourceContext) {}

  settings(): HostSettings {
    return nodeSettings((n) => this.ctx.get(n));
  }

  asHost(): Host {
    return this;
  }

  reach(options: ReachOptions = {}): HostReach {
    const transport = acquireTransport({ ...this.settings(), ...options });
    let released = false;
    return {
      transport,
      release: async () => {
        if (released) return;
        released = true;
        await releaseTransport(transport);
      },
    };
  }

  get address(): string {
    return this.settings().host;
  }

  homeOf(guid: number): string {
    return `${this.paths.run}/${guid}`;
  }

  get isConnected(): boolean {
    return this.transport_ !== undefined;
  }

  get transport(): Transport {
    if (!this.transport_) throw new Error(`${this.ctx.rtype} guid ${this.ctx.guid} is not connected`);
    return this.transport_;
  }

  get paths(): HostPaths {
    if (!this.paths_) throw new Error(`${this.ctx.rtype} guid ${this.ctx.guid} is not discovered`);
    return this.paths_;
  }

  /** Exits of the applications of this run on this host, pushed by the host. */
  get events(): ExitEvents {
    if (!this.events_) throw new Error(`${this.ctx.rtype} guid ${this.ctx.guid} is not provisioned`);
    return this.events_;
  }

  async discover(): Promise<void> {
    this.transport_ = acquireTransport(this.settings());
    const r = await this.transport_.exec(
      `uname -s; printf "%s\\n" "$HOME"; for c in ${HOST_COMMANDS.join(" ")}; do command -v $c >/dev/null || echo "missing $c"; done`,
    );
    const [os, home, ...rest] = r.stdout.split("\n");
    if (r.code !== 0) throw new Error(`${this.transport_.label}: cannot run commands: ${r.stderr.trim()}`);
    if (os !== "Linux") throw new Error(`${this.transport_.label} runs ${os || "an unknown OS"}, not Linux`);
    const missing = rest.filter((l) => l.startsWith("missing ")).map((l) => l.slice(8));
    if (missing.length) throw new Error(`${this.transport_.label} lacks ${missing.join(", ")}`);
    const root = `${home}/.nepi`;
    const run = `${root}/${this.ctx.expId}/${this.ctx.runId}`;
    this.paths_ = {
      root,
      usr: `${root}/usr`,
      exp: `${root}/${this.ctx.expId}`,
      run,
      node: `${run}/${this.ctx.guid}`,
      events: `${run}/events`,
    };
  }

  async provision(): Promise<void> {
    const p = this.paths;
    const r = await this.transport.exec(
      `mkdir -p ${[p.node, `${p.usr}/bin`, `${p.usr}/lib`, `${p.usr}/share`].map(shq).join(" ")} && touch ${shq(p.events)} && wc -c < ${shq(p.events)}`,
    );
    if (r.code !== 0) throw new Error(`${this.transport.label}: cannot create ${p.run}: ${r.stderr.trim()}`);
    // Follow from the end: a node deployed again (redeploy) must not hear the old exits.
    const seen = Number.parseInt(r.stdout.trim(), 10) || 0;
    let perHost = EVENTS.get(this.transport);
    if (!perHost) EVENTS.set(this.transport, (perHost = new Map<string, SharedEvents>()));
    let shared = perHost.get(p.events);
    if (!shared) {
      shared = {
        events: new ExitEvents(
          this.transport,
          p.events,
          (e) => this.ctx.log(`event channel of ${this.transport.label} lost: ${e.message}`),
          seen,
        ),
        users: 0,
      };
      perHost.set(p.events, shared);
    }
    shared.users++;
    this.events_ = shared.events;
  }

  /** Installs missing Debian packages, one install at a time on this host. */
  install(packages: string[], sudo: boolean): Promise<void> {
    if (packages.length === 0) return Promise.resolve();
    const run = this.installs.then(async () => {
      const missing = packages.filter((p) => !this.installed.has(p));
      if (missing.length === 0) return;
      const r = await this.transport.exec(installScript(missing, sudo));
      if (r.code !== 0)
        throw new Error(
          `installing ${missing.join(" ")} on ${this.transport.label} failed: ${lastLines(r.stderr) || `exit ${r.code}`}`,
        );
      for (const p of missing) this.installed.add(p);
    });
    this.installs = run.catch(() => {});
    return run;
  }

  async release(): Promise<void> {
    if (this.released || !this.transport_) return;
    this.released = true;
    const t = this.transport_;
    try {
      if (this.paths_) {
        // Whatever this run started through this node and is still running (its applications
        // already ended theirs; this catches any left by a failed release): process groups
        // checked by pid and start time, never a killall.
        if (this.ctx.get("cleanProcesses") !== false) await endLeftovers(this, this.ctx.connected(), this.ctx.runId);
        if (this.events_) {
          const perHost = EVENTS.get(t);
          const shared = perHost?.get(this.paths_.events);
          if (shared && --shared.users <= 0) {
            shared.events.close();
            perHost!.delete(this.paths_.events);
          }
        }
        if (this.ctx.get("cleanExperiment") === true) await t.exec(`rm -rf ${shq(this.paths_.run)}`);
      }
    } finally {
      this.transport_ = undefined;
      await releaseTransport(t);
    }
  }
}

/**
 * Ends what the applications of a host left running: their process groups (checked by pid and
 * start time, never a killall), then what left those groups (setsid, double-forking daemons),
 * found by its marker.
 */
export async function endLeftovers(host: Host, apps: ResourceHandle[], runId: string): Promise<void> {
  if (apps.length === 0) return;
  const t = host.transport;
  await t.exec(
    endGroupsScript(
      apps.map((h) => host.homeOf(h.guid)),
      0,
    ),
  );
  const sudo = apps.some((h) => h.get("sudo") === true);
  await t.exec(
    endMarkedScript(
      apps.map((h) => appMarker(runId, h.guid)),
      STOP_GRACE_S,
      sudo,
    ),
  );
}

export function lastLines(text: string, n = 5): string {
  return text.trimEnd().split("\n").slice(-n).join("\n").trim();
}

registerResourceManager(LINUX_NODE.rtype, (ctx) => new LinuxNodeManager(ctx));
registerHostSettings(LINUX_NODE.rtype, nodeSettings);
