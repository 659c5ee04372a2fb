import { execFile } from "node:child_process";
import { lookup } from "node:dns/promises";
import { promisify } from "node:util";
import type { ResourceContext, ResourceHandle } from "../../engine/resource-manager.js";
import { MACHINE_ROLE, NET_ENDPOINT_ROLE } from "../../catalog/roles.js";
import { NETNS_LINK } from "../../catalog/types/netns-link.js";
import { NETNS_NODE } from "../../catalog/types/netns-node.js";
import { NETNS_SWITCH } from "../../catalog/types/netns-switch.js";
import { backlogCommands, neighbourLimitCommands } from "../../netns/batch.js";
import { planTopology, resolveIpPlaceholders, type TopologyInput, type TopologyPlan } from "../../netns/plan.js";
import { Machine, localMachineHost } from "./machine.js";
import { CounterSampler } from "./counters.js";

const run = promisify(execFile);

const NETWORK_TYPES: ReadonlySet<string> = new Set([NETNS_NODE.rtype, NETNS_SWITCH.rtype, NETNS_LINK.rtype]);

/** The machine key of what is built on this machine when no machine is connected. */
export const LOCAL_MACHINE = "local";

/**
 * The run's tag in kernel names: ten letters and digits from the run id, so every namespace of
 * the run is found by it — by this run's release, or by a clean-up after a crash.
 */
export function networkTag(runId: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < runId.length; i++) {
    a = Math.imul(a ^ runId.charCodeAt(i), 16777619) >>> 0;
    b = Math.imul(b ^ runId.charCodeAt(i), 2246822519) >>> 0;
  }
  return (a.toString(36).padStart(7, "0").slice(-5) + b.toString(36).padStart(7, "0").slice(-5)).toLowerCase();
}

/** The resources of one network: the hosts, switches and links reachable from one of them. */
function component(start: ResourceHandle): { endpoints: ResourceHandle[]; links: ResourceHandle[] } {
  const seen = new Map<number, ResourceHandle>([[start.guid, start]]);
  const queue = [start];
  while (queue.length > 0) {
    const h = queue.pop()!;
    for (const n of h.connected()) {
      if (!NETWORK_TYPES.has(n.rtype) || seen.has(n.guid)) continue;
      seen.set(n.guid, n);
      queue.push(n);
    }
  }
  const all = [...seen.values()];
  return { endpoints: all.filter((h) => h.rtype !== NETNS_LINK.rtype), links: all.filter((h) => h.rtype === NETNS_LINK.rtype) };
}

function machineKey(h: ResourceHandle): string {
  const m = h.connected(MACHINE_ROLE)[0];
  return m ? String(m.guid) : LOCAL_MACHINE;
}

function topologyInput(tag: string, start: ResourceHandle): TopologyInput {
  const { endpoints, links } = component(start);
  return {
    tag,
    endpoints: endpoints.map((h) => ({
      guid: h.guid,
      ...(h.label ? { label: h.label } : {}),
      kind: h.rtype === NETNS_SWITCH.rtype ? "switch" : "host",
      machine: machineKey(h),
      forwarding: h.get("forwarding") === true,
    })),
    links: links.map((h) => {
      const ends = h.connected(NET_ENDPOINT_ROLE).map((e) => e.guid);
      const subnet = h.get("subnet");
      return {
        guid: h.guid,
        ...(h.label ? { label: h.label } : {}),
        ends: [ends[0]!, ends[1]!] as [number, number],
        ...(typeof subnet === "string" && subnet !== "" ? { subnet } : {}),
      };
    }),
  };
}

/** An IPv4 address, or undefined. */
function ipv4(text: string): string | undefined {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(text) ? text : undefined;
}

/**
 * Each machine's own address, as the others reach it: the underlay of VXLAN links, needed only
 * when the network spans machines. A machine resource's is its hostname (resolved); this
 * machine's is the source address of its route toward the first of them.
 */
async function underlayOf(input: TopologyInput, ctx: ResourceContext): Promise<Record<string, string> | undefined> {
  const keys = [...new Set(input.endpoints.map((e) => e.machine))];
  if (keys.length < 2) return undefined;
  const out: Record<string, string> = {};
  for (const key of keys) {
    if (key === LOCAL_MACHINE) continue;
    const name = String(ctx.resource(Number(key)).get("hostname") ?? "localhost");
    out[key] = ipv4(name) ?? (await lookup(name, { family: 4 })).address;
  }
  const remote = Object.values(out)[0];
  if (keys.includes(LOCAL_MACHINE) && remote) {
    const { stdout } = await run("ip", ["-4", "-o", "route", "get", remote]);
    const src = / src (\S+)/.exec(stdout)?.[1];
    if (src) out[LOCAL_MACHINE] = src;
  }
  return out;
}

/**
 * One emulated network of a run: its plan (made once, from the connected hosts, switches and
 * links, so every manager builds the same thing), the machines it is built on, and the sampler
 * of its links' counters. It lasts while one of its resources holds it; the last one to let go
 * removes whatever of the run is left on its machines.
 */
export class Network {
  readonly plan: TopologyPlan;
  readonly labels: ReadonlyMap<string, number>;
  readonly counters = new CounterSampler();
  private readonly machines = new Map<string, Promise<Machine>>();
  private readonly localReleases: Array<() => Promise<void>> = [];
  private readonly holders = new Set<number>();

  constructor(
    readonly tag: string,
    input: TopologyInput,
    private readonly forget: () => void,
  ) {
    this.plan = planTopology(input);
    const labels = new Map<string, number>();
    for (const h of Object.values(this.plan.hosts)) if (h.label) labels.set(h.label, h.guid);
    this.labels = labels;
  }

  /** The machine `key` of the plan, ready to build on. */
  machine(key: string, ctx: ResourceContext): Promise<Machine> {
    let m = this.machines.get(key);
    if (!m) {
      m = (async () => {
        let host;
        if (key === LOCAL_MACHINE) {
          const local = await localMachineHost(ctx);
          this.localReleases.push(local.release);
          host = local.host;
        } else {
          const lent = ctx.resource(Number(key)).manager.asHost?.();
          if (!lent) throw new Error(`machine guid ${key} lends no host services`);
          host = lent;
        }
        const namespaces = [...Object.values(this.plan.hosts), ...Object.values(this.plan.switches)]
          .filter((n) => n.machine === key)
          .map((n) => n.namespace);
        const machine = new Machine(key, host, this.tag, namespaces);
        await machine.prepare();
        await this.raiseNeighbourLimits(machine);
        return machine;
      })();
      // A machine that could not be reached is asked again by the next resource.
      m.catch(() => this.machines.delete(key));
      this.machines.set(key, m);
    }
    return m;
  }

  /** The machine's neighbour table (one for all its namespaces) must hold every address of the plan there, its receive backlog a bridge's floods. */
  private async raiseNeighbourLimits(machine: Machine): Promise<void> {
    const ends = Object.values(this.plan.hosts)
      .filter((h) => h.machine === machine.key)
      .reduce((n, h) => n + h.addresses.length, 0);
    const r = await machine.privileged([...neighbourLimitCommands(ends), ...backlogCommands(ends)].join("\n"));
    if (r.code !== 0) throw new Error(`${machine.label}: raising the neighbour-table limits failed: ${r.stderr.trim()}`);
  }

  /** `${ip:LABEL}` in `text`, as seen from host `ownHost`. */
  expand(text: string, ownHost: number): string {
    return resolveIpPlaceholders(text, ownHost, this.plan, this.labels);
  }

  hold(guid: number): void {
    this.holders.add(guid);
  }

  /** Resource `guid` is released: the last one removes the run from every machine. */
  async letGo(guid: number): Promise<void> {
    if (!this.holders.delete(guid) || this.holders.size > 0) return;
    this.forget();
    this.counters.close();
    const machines = await Promise.allSettled([...this.machines.values()]);
    for (const m of machines) if (m.status === "fulfilled") await m.value.removeRun();
    for (const release of this.localReleases.splice(0)) await release();
  }
}

/** The networks of each run (of each controller), by member guid. */
const NETWORKS = new WeakMap<object, Map<number, Promise<Network>>>();

/**
 * The network `ctx`'s resource belongs to, planned on first use (a plan that failed fails each
 * member alike, planned once).
 */
export function networkOf(ctx: ResourceContext): Promise<Network> {
  const run = ctx.runScope;
  let byGuid = NETWORKS.get(run);
  if (!byGuid) NETWORKS.set(run, (byGuid = new Map<number, Promise<Network>>()));
  const known = byGuid.get(ctx.guid);
  if (known) return known;
  const start = ctx.resource(ctx.guid);
  const members = component(start);
  const guids = [...members.endpoints, ...members.links].map((h) => h.guid);
  const tag = networkTag(ctx.runId);
  const network = (async () => {
    const input = topologyInput(tag, start);
    const underlay = await underlayOf(input, ctx);
    return new Network(tag, underlay ? { ...input, underlay } : input, () => {
      for (const g of guids) if (byGuid.get(g) === network) byGuid.delete(g);
      if (byGuid.size === 0) NETWORKS.delete(run);
    });
  })();
  network.catch(() => {});
  for (const g of guids) byGuid.set(g, network);
  return network;
}
