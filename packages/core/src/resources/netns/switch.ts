import type { ResourceContext, ResourceManager } from "../../engine/resource-manager.js";
import { registerResourceManager } from "../../catalog/registry.js";
import { NETNS_SWITCH } from "../../catalog/types/netns-switch.js";
import type { PlannedSwitch } from "../../netns/plan.js";
import type { Machine } from "./machine.js";
import { networkOf, type Network } from "./network.js";

/** netns::Switch: a bridge in a namespace of its own on its machine; its links' ends are its ports. */
export class NetnsSwitchManager implements ResourceManager {
  private network?: Network;
  private machine?: Machine;
  private made = false;

  constructor(readonly ctx: ResourceContext) {}

  private planned(network: Network): PlannedSwitch {
    const s = network.plan.switches[this.ctx.guid];
    if (!s) throw new Error(`netns::Switch guid ${this.ctx.guid} is not planned`);
    return s;
  }

  async discover(): Promise<void> {
    this.network = await networkOf(this.ctx);
    this.network.hold(this.ctx.guid);
    this.machine = await this.network.machine(this.planned(this.network).machine, this.ctx);
  }

  async provision(): Promise<void> {
    const s = this.planned(this.network!);
    await this.ctx.outsidePool(
      this.machine!.batcher.submit({
        root: [`netns add ${s.namespace}`],
        inNamespace: [[s.namespace, [`link add ${s.bridge} type bridge`, `link set ${s.bridge} up`]]],
      }),
    );
    this.made = true;
  }

  async release(): Promise<void> {
    const network = this.network;
    if (!network) return;
    this.network = undefined;
    try {
      if (this.machine && this.made)
        await this.ctx
          .outsidePool(this.machine.batcher.submit({ root: [`netns del ${this.planned(network).namespace}`] }))
          .catch((e: Error) => this.ctx.log(`removing the namespace: ${e.message}`));
    } finally {
      await network.letGo(this.ctx.guid);
    }
  }
}

registerResourceManager(NETNS_SWITCH.rtype, (ctx) => new NetnsSwitchManager(ctx));
