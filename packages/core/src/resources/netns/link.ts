import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { AttributeValue } from "../../model/catalog-schema.js";
import { parseTime } from "../../model/time.js";
import type {
  ResourceContext,
  ResourceManager,
  TraceCollection,
  TraceQuery,
  TraceResult,
} from "../../engine/resource-manager.js";
import { registerResourceManager } from "../../catalog/registry.js";
import { NETNS_LINK } from "../../catalog/types/netns-link.js";
import { VXLAN_MTU, crowdedSegmentLines } from "../../netns/batch.js";
import type { KernelCapabilities } from "../../netns/capabilities.js";
import type { PlannedEnd, PlannedLink } from "../../netns/plan.js";
import { clearShapingCommands, shapingCommands, type LinkShaping } from "../../netns/shaping.js";
import type { BuildStep } from "./batcher.js";
import type { Machine } from "./machine.js";
import { networkOf, type Network } from "./network.js";

/** One end of a link, the machine it is built on and what that machine's kernel can do. */
interface Side {
  end: PlannedEnd;
  machine: Machine;
  caps: KernelCapabilities;
}

/** The attributes that change the running link at once. */
const LIVE_ATTRIBUTES: ReadonlySet<string> = new Set(["rate", "delay", "jitter", "loss", "up"]);
const COUNTERS = "counters";

function ms(v: AttributeValue | undefined, name: string): number | undefined {
  return typeof v === "string" && v !== "" ? parseTime(v, name) : undefined;
}

/**
 * netns::Link: a veth pair between two hosts or switches (a switch's end is a port of its
 * bridge), addressed and routed as the plan says, and shaped alike in both directions. Its
 * shaping follows `set` and `setWithConditions` while it runs; its `counters` trace is sampled
 * while it is up to release.
 */
export class NetnsLinkManager implements ResourceManager {
  private network?: Network;
  private sides_?: Side[];
  /** The shaping the kernel has now (once built). */
  private applied?: LinkShaping;
  /** Changes to the running link, one after the other. */
  private changes: Promise<void> = Promise.resolve();
  private built = false;
  private unwatch?: () => Promise<void>;
  private counters = "";
  private written: Promise<void> = Promise.resolve();
  private readonly followers = new Set<(chunk: string, offset: number) => void>();

  constructor(readonly ctx: ResourceContext) {}

  private planned(): PlannedLink {
    const l = this.network?.plan.links[this.ctx.guid];
    if (!l) throw new Error(`netns::Link guid ${this.ctx.guid} is not planned (not deployed)`);
    return l;
  }

  /** The shaping its attributes ask for now. */
  private shaping(): LinkShaping {
    const g = (n: string) => this.ctx.get(n);
    const rate = g("rate");
    const loss = g("loss");
    return {
      ...(typeof rate === "string" && rate.trim() !== "" ? { rate: rate.trim() } : {}),
      ...(ms(g("delay"), "delay") !== undefined ? { delayMs: ms(g("delay"), "delay") } : {}),
      ...(ms(g("jitter"), "jitter") !== undefined ? { jitterMs: ms(g("jitter"), "jitter") } : {}),
      ...(typeof loss === "number" && loss > 0 ? { lossPercent: loss } : {}),
      up: g("up") !== false,
    };
  }

  /** Each end, with the machine it is built on and what that machine's kernel can do. */
  private get sides(): Side[] {
    if (!this.sides_) throw new Error(`netns::Link guid ${this.ctx.guid} is not deployed`);
    return this.sides_;
  }

  /** The commands that give one end `shaping` (from `previous`), or why its machine cannot. */
  private shapingCommands(side: Side, shaping: LinkShaping, previous?: LinkShaping): string[] {
    const { end, machine, caps } = side;
    const r = shapingCommands({ ns: end.namespace, dev: end.dev, tag: this.network!.tag }, shaping, caps, previous);
    if (!r.ok) throw new Error(`${machine.label} cannot shape this link: its kernel lacks ${r.missing}`);
    // A device that went down lost the routes through it: an end that is up gets them back.
    return shaping.up ? [...r.commands, ...this.routeCommands(end)] : r.commands;
  }

  private routeCommands(end: PlannedEnd): string[] {
    const host = this.network!.plan.hosts[end.guid];
    if (!host) return [];
    return host.routes
      .filter((r) => r.dev === end.dev)
      .map((r) => `ip -n ${end.namespace} route replace ${r.to} via ${r.via} dev ${r.dev}`);
  }

  async discover(): Promise<void> {
    this.network = await networkOf(this.ctx);
    this.network.hold(this.ctx.guid);
    const sides: Side[] = [];
    for (const end of this.planned().ends) {
      const machine = await this.network.machine(end.machine, this.ctx);
      sides.push({ end, machine, caps: await machine.capabilities() });
    }
    this.sides_ = sides;
    // What a machine cannot shape fails the link now, naming the kernel feature it lacks.
    for (const side of sides) this.shapingCommands(side, this.shaping());
  }

  /** The devices of a segment that has a VXLAN link carry its 50 bytes of headers less. */
  private mtu(): string {
    const link = this.planned();
    const tunnelled = Object.values(this.network!.plan.links).some((l) => l.kind === "vxlan" && l.segment === link.segment);
    return tunnelled ? ` mtu ${VXLAN_MTU}` : "";
  }

  /** The `ip -batch` line that makes the link's devices, on the machine of end `k`. */
  private createLine(k: number): string | undefined {
    const link = this.planned();
    const [a, b] = link.ends;
    if (link.kind === "veth")
      return k === 0 ? `link add ${a.dev} netns ${a.namespace} type veth peer name ${b.dev} netns ${b.namespace}` : undefined;
    // A tunnel end is made from the machine's own namespace into the host's: it keeps the underlay.
    const { vni, port, underlay } = link.vxlan!;
    const e = link.ends[k]!;
    return `link add ${e.dev} netns ${e.namespace} type vxlan id ${vni} local ${underlay[k]} remote ${underlay[1 - k]} dstport ${port}`;
  }

  async provision(): Promise<void> {
    const link = this.planned();
    const shaping = this.shaping();
    const mtu = this.mtu();
    const steps = new Map<Machine, BuildStep & { root: string[]; inNamespace: Array<[string, string[]]>; commands: string[] }>();
    this.sides.forEach((side, k) => {
      const { end: e, machine } = side;
      let step = steps.get(machine);
      if (!step) steps.set(machine, (step = { root: [], inNamespace: [], commands: [] }));
      const create = this.createLine(k);
      if (create) step.root.push(create);
      const lines =
        e.kind === "switch"
          ? [`link set dev ${e.dev}${mtu} master ${e.bridge!} up`]
          : [
              ...this.loopback(e),
              `addr add ${e.address!} dev ${e.dev}`,
              `link set dev ${e.dev}${mtu} up`,
              ...crowdedSegmentLines(this.network!.plan, link.segment, e.dev),
            ];
      // `ip -n NS …` commands join their namespace's batch (no process of their own).
      for (const c of this.shapingCommands(side, shaping)) {
        const m = /^ip -n (\S+) (.+)$/.exec(c);
        if (m && m[1] === e.namespace) lines.push(m[2]!);
        else step.commands.push(c);
      }
      step.inNamespace.push([e.namespace, lines]);
    });
    this.built = true;
    // Both machines of a tunnel build their end at once.
    await this.ctx.outsidePool(Promise.all([...steps].map(([machine, step]) => machine.batcher.submit(step))));
    this.applied = shaping;
    if (this.ctx.enabledTraces().includes(COUNTERS)) this.watchCounters();
  }

  /** A host's loopback comes up with its first link (one `ip -n` less per host; see the node). */
  private loopback(end: PlannedEnd): string[] {
    return this.network!.plan.hosts[end.guid]?.addresses[0]?.dev === end.dev ? ["link set lo up"] : [];
  }

  async onAttributeChanged(name: string): Promise<void> {
    if (!LIVE_ATTRIBUTES.has(name) || !this.applied) return;
    const run = this.changes.then(async () => {
      if (!this.applied) return;
      const shaping = this.shaping();
      const previous = this.applied;
      const perMachine = new Map<Machine, string[]>();
      for (const side of this.sides)
        perMachine.set(side.machine, [...(perMachine.get(side.machine) ?? []), ...this.shapingCommands(side, shaping, previous)]);
      await Promise.all(
        [...perMachine].map(async ([machine, commands]) => {
          const r = await machine.privileged(commands.map((c) => `${c} || exit $?`).join("\n"));
          if (r.code !== 0) throw new Error(`${machine.label}: ${r.stderr.trim() || `exit code ${r.code}`}`);
        }),
      );
      this.applied = shaping;
    });
    this.changes = run.catch(() => {});
    return run;
  }

  // ---------------------------------------------------------------- counters

  private localDir(): string {
    const label = (this.ctx.label ?? "link").replace(/[^A-Za-z0-9._-]+/g, "_");
    return join(this.ctx.runDir, `${this.ctx.guid}-${label}`);
  }

  private watchCounters(): void {
    const link = this.planned();
    // A switch's port: its namespace holds the ports of all the switch's links (one read for all).
    const k = link.ends[1].kind === "switch" && link.ends[0].kind !== "switch" ? 1 : 0;
    const end = link.ends[k];
    const machine = this.sides[k]!.machine;
    const dir = this.localDir();
    this.written = mkdir(dir, { recursive: true }).then(() => undefined);
    this.unwatch = this.network!.counters.watch({
      machine,
      ns: end.namespace,
      dev: end.dev,
      atEnd2: k === 1,
      onSample: (at, a2b, b2a, up) => {
        const line = `${at} ${a2b} ${b2a} ${up ? 1 : 0}\n`;
        const offset = Buffer.byteLength(this.counters);
        this.counters += line;
        this.written = this.written.then(() => appendFile(join(dir, COUNTERS), line)).catch(() => {});
        for (const f of this.followers) f(line, offset);
      },
    });
  }

  /** Stops sampling, with a last sample: the trace ends with the link's totals. */
  private async stopCounters(): Promise<void> {
    const unwatch = this.unwatch;
    this.unwatch = undefined;
    await unwatch?.();
  }

  async collectTraces(): Promise<TraceCollection | void> {
    await this.stopCounters();
    await this.written;
    return { missing: [] };
  }

  trace(name: string, query: TraceQuery): TraceResult {
    if (name !== COUNTERS) throw new Error(`netns::Link has no trace "${name}"`);
    const data = Buffer.from(this.counters);
    const attr = query.attr ?? "ALL";
    if (attr === "PATH") return join(this.localDir(), COUNTERS);
    if (attr === "SIZE") return data.length;
    if (attr === "STREAM") {
      const block = query.block ?? 512;
      const from = (query.offset ?? 0) * block;
      return data.subarray(from, from + block).toString("utf8");
    }
    return this.counters;
  }

  followTrace(name: string, offset: number, onChunk: (chunk: string, offset: number) => void): () => void {
    if (name !== COUNTERS) throw new Error(`netns::Link has no trace "${name}"`);
    const data = Buffer.from(this.counters);
    if (data.length > offset) onChunk(data.subarray(offset).toString("utf8"), offset);
    this.followers.add(onChunk);
    return () => this.followers.delete(onChunk);
  }

  // ---------------------------------------------------------------- release

  async release(): Promise<void> {
    const network = this.network;
    if (!network) return;
    await this.stopCounters();
    this.followers.clear();
    try {
      await this.changes;
      if (this.built && this.sides_) {
        const link = this.planned();
        // Deleting one end of a veth pair deletes both (a switch's end is chosen: its namespace is
        // shared); each end of a tunnel is its own machine's.
        const removed =
          link.kind === "vxlan" ? this.sides_ : [this.sides_.find((s) => s.end.kind === "switch") ?? this.sides_[0]!];
        const applied = this.applied;
        await this.ctx.outsidePool(
          Promise.all(
            this.sides_.map(async (side) => {
              const clear = applied
                ? clearShapingCommands({ ns: side.end.namespace, dev: side.end.dev, tag: network.tag }, applied, side.caps)
                : [];
              await side.machine.batcher
                .submit({
                  commands: clear.map((c) => `{ ${c}; } 2>/dev/null || true`),
                  remove: removed.includes(side) ? [[side.end.namespace, side.end.dev]] : [],
                })
                .catch((e: Error) => this.ctx.log(`removing the link: ${e.message}`));
            }),
          ),
        );
      }
    } finally {
      this.network = undefined;
      await network.letGo(this.ctx.guid);
    }
  }
}

registerResourceManager(NETNS_LINK.rtype, (ctx) => new NetnsLinkManager(ctx));
