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
import type { KernelCapabilities } from "../../netns/capabilities.js";
import type { PlannedEnd, PlannedLink } from "../../netns/plan.js";
import { clearShapingCommands, shapingCommands, type LinkShaping } from "../../netns/shaping.js";
import type { BuildStep } from "./batcher.js";
import type { Machine } from "./machine.js";
import { networkOf, type Network } from "./network.js";

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
  private machine?: Machine;
  private caps?: KernelCapabilities;
  /** The shaping the kernel has now (once built). */
  private applied?: LinkShaping;
  /** Changes to the running link, one after the other. */
  private changes: Promise<void> = Promise.resolve();
  private built = false;
  private unwatch?: () => void;
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

  /** The commands that give both ends `shaping` (from `previous`), or why this machine cannot. */
  private shapingCommands(shaping: LinkShaping, previous?: LinkShaping): string[] {
    const tag = this.network!.tag;
    const out: string[] = [];
    for (const end of this.planned().ends) {
      const r = shapingCommands({ ns: end.namespace, dev: end.dev, tag }, shaping, this.caps!, previous);
      if (!r.ok) throw new Error(`${this.machine!.label} cannot shape this link: its kernel lacks ${r.missing}`);
      out.push(...r.commands);
    }
    // A device that went down lost the routes through it: an end that is up gets them back.
    if (shaping.up) out.push(...this.planned().ends.flatMap((e) => this.routeCommands(e)));
    return out;
  }

  private routeCommands(end: PlannedEnd): string[] {
    const host = this.network!.plan.hosts[end.guid];
    if (!host) return [];
    return host.routes
      .filter((r) => r.dev === end.dev)
      .map((r) => `ip -n ${end.namespace} route replace ${r.to} via ${r.via} dev ${r.dev}`);
  }

  async discover(): Promise<void> {
    this.network = networkOf(this.ctx);
    this.network.hold(this.ctx.guid);
    const link = this.planned();
    if (link.kind === "vxlan")
      throw new Error(
        `its ends are on different machines (${link.ends[0].machine} and ${link.ends[1].machine}): a VXLAN tunnel, not built by this version`,
      );
    this.machine = await this.network.machine(link.ends[0].machine, this.ctx);
    this.caps = await this.machine.capabilities();
    // What this machine cannot shape fails the link now, naming the kernel feature it lacks.
    this.shapingCommands(this.shaping());
  }

  async provision(): Promise<void> {
    const link = this.planned();
    const [a, b] = link.ends;
    const shaping = this.shaping();
    const step: BuildStep = {
      root: [`link add ${a.dev} netns ${a.namespace} type veth peer name ${b.dev} netns ${b.namespace}`],
      inNamespace: link.ends.map((e): [string, string[]] => [
        e.namespace,
        e.kind === "switch"
          ? [`link set dev ${e.dev} master ${e.bridge!}`, `link set dev ${e.dev} up`]
          : [`addr add ${e.address!} dev ${e.dev}`, `link set dev ${e.dev} up`],
      ]),
      commands: this.shapingCommands(shaping),
    };
    this.built = true;
    await this.machine!.batcher.submit(step);
    this.applied = shaping;
    if (this.ctx.enabledTraces().includes(COUNTERS)) this.watchCounters();
  }

  async onAttributeChanged(name: string): Promise<void> {
    if (!LIVE_ATTRIBUTES.has(name) || !this.applied) return;
    const run = this.changes.then(async () => {
      if (!this.applied) return;
      const shaping = this.shaping();
      const commands = this.shapingCommands(shaping, this.applied);
      const r = await this.machine!.privileged(commands.map((c) => `${c} || exit $?`).join("\n"));
      if (r.code !== 0) throw new Error(`${this.machine!.label}: ${r.stderr.trim() || `exit code ${r.code}`}`);
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
    const dir = this.localDir();
    this.written = mkdir(dir, { recursive: true }).then(() => undefined);
    this.unwatch = this.network!.counters.watch({
      machine: this.machine!,
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

  private stopCounters(): void {
    this.unwatch?.();
    this.unwatch = undefined;
  }

  async collectTraces(): Promise<TraceCollection | void> {
    this.stopCounters();
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
    this.stopCounters();
    this.followers.clear();
    try {
      await this.changes;
      if (this.built && this.machine) {
        const link = this.planned();
        // Deleting one end deletes the pair; a switch's end is chosen, as its namespace is shared.
        const end = link.ends.find((e) => e.kind === "switch") ?? link.ends[0];
        const clear = this.applied
          ? link.ends.flatMap((e) =>
              clearShapingCommands({ ns: e.namespace, dev: e.dev, tag: network.tag }, this.applied!, this.caps!),
            )
          : [];
        await this.machine.batcher
          .submit({
            commands: clear.map((c) => `{ ${c}; } 2>/dev/null || true`),
            inNamespace: [[end.namespace, [`link del ${end.dev}`]]],
          })
          .catch((e: Error) => this.ctx.log(`removing the link: ${e.message}`));
      }
    } finally {
      this.network = undefined;
      await network.letGo(this.ctx.guid);
    }
  }
}

registerResourceManager(NETNS_LINK.rtype, (ctx) => new NetnsLinkManager(ctx));
