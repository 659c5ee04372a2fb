import type { ResourceContext, ResourceManager } from "../../engine/resource-manager.js";
import type { ExitChannel, Host, HostPaths } from "../../engine/host.js";
import { getResourceType, registerResourceManager } from "../../catalog/registry.js";
import { MACHINE_ROLE, hasRole } from "../../catalog/roles.js";
import { NETNS_LINK } from "../../catalog/types/netns-link.js";
import { NETNS_NODE } from "../../catalog/types/netns-node.js";
import { addressOf, type PlannedHost } from "../../netns/plan.js";
import type { Transport } from "../../transport/types.js";
import type { Machine } from "./machine.js";
import { networkOf, type Network } from "./network.js";
import { NetnsTransport } from "./netns-transport.js";

/**
 * netns::Node: an emulated host, a network namespace on its machine. It lends the applications
 * on it a `Host` whose commands run inside the namespace over the machine's own connection; its
 * files, run directory and event channel are the machine's.
 */
export class NetnsNodeManager implements ResourceManager, Host {
  private network?: Network;
  private machine?: Machine;
  private transport_?: NetnsTransport;
  private made = false;

  constructor(readonly ctx: ResourceContext) {}

  private get planned(): PlannedHost {
    const h = this.network?.plan.hosts[this.ctx.guid];
    if (!h) throw new Error(`netns::Node guid ${this.ctx.guid} is not planned (not deployed)`);
    return h;
  }

  get namespace(): string {
    return this.planned.namespace;
  }

  async discover(): Promise<void> {
    this.network = await networkOf(this.ctx);
    this.network.hold(this.ctx.guid);
    this.machine = await this.network.machine(this.planned.machine, this.ctx);
    await this.machine.user();
  }

  async provision(): Promise<void> {
    const machine = this.machine!;
    const ns = this.namespace;
    await this.ctx.outsidePool(
      machine.batcher.submit({
        root: [`netns add ${ns}`],
        // A host with links gets its loopback up with its first link (in the same `ip -n` batch).
        inNamespace: this.planned.addresses.length === 0 ? [[ns, ["link set lo up"]]] : [],
        // nsenter: only the network namespace, no mount namespace to set up as `ip netns exec` does.
        commands: this.planned.forwarding
          ? [`nsenter --net=/run/netns/${ns} sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'`]
          : [],
      }),
    );
    this.made = true;
    this.transport_ = new NetnsTransport(machine.host.transport, ns, await machine.user());
  }

  async release(): Promise<void> {
    const network = this.network;
    if (!network) return;
    this.network = undefined;
    try {
      const machine = this.machine;
      if (machine && this.transport_) {
        // What its applications left running (they ended their own): found as on a Linux node,
        // from the machine (one process space for all its namespaces).
        const apps = this.ctx
          .connected()
          .filter((h) => h.rtype !== NETNS_LINK.rtype && !hasRole(getResourceType(h.rtype), MACHINE_ROLE));
        await machine
          .endLeftovers(apps, this.ctx.runId)
          .catch((e: Error) => this.ctx.log(`ending what was left on ${this.transport_?.label}: ${e.message}`));
      }
      // Already gone (a clean-up of the run removed it) is as good as removed.
      if (machine && this.made)
        await this.ctx
          .outsidePool(machine.batcher.submit({ root: [`netns del ${network.plan.hosts[this.ctx.guid]!.namespace}`] }))
          .catch((e: Error) => this.ctx.log(`removing the namespace: ${e.message}`));
    } finally {
      this.transport_ = undefined;
      await network.letGo(this.ctx.guid);
    }
  }

  // ---------------------------------------------------------------- Host

  asHost(): Host {
    return this;
  }

  get transport(): Transport {
    if (!this.transport_) throw new Error(`netns::Node guid ${this.ctx.guid} is not provisioned`);
    return this.transport_;
  }

  get isConnected(): boolean {
    return this.transport_ !== undefined && (this.machine?.host.isConnected ?? false);
  }

  private get machineHost(): Host {
    if (!this.machine) throw new Error(`netns::Node guid ${this.ctx.guid} is not deployed`);
    return this.machine.host;
  }

  get paths(): HostPaths {
    const p = this.machineHost.paths;
    return { ...p, node: `${p.run}/${this.ctx.guid}` };
  }

  get events(): ExitChannel {
    return this.machineHost.events;
  }

  /** Its first address (eth0's): the one a host on another segment reaches through the routes. */
  get address(): string {
    return this.planned.addresses[0]?.ip ?? "127.0.0.1";
  }

  addressSeenFrom(from: Host): string {
    if (from instanceof NetnsNodeManager && from.network === this.network && this.network)
      return addressOf(this.network.plan, this.ctx.guid, from.ctx.guid) ?? this.address;
    return this.address;
  }

  expand(text: string): string {
    if (!this.network) return text;
    return this.network.expand(text, this.ctx.guid);
  }

  homeOf(guid: number): string {
    return `${this.machineHost.paths.run}/${guid}`;
  }

  /** Packages are installed on the machine (the namespace has no way out to a mirror). */
  install(packages: string[], sudo: boolean): Promise<void> {
    return this.machineHost.install(packages, sudo);
  }
}

registerResourceManager(NETNS_NODE.rtype, (ctx) => new NetnsNodeManager(ctx));
