import { registerResourceManager } from "../../catalog/registry.js";
import { LINUX_PING } from "../../catalog/types/linux-ping.js";
import { shq } from "../../transport/quote.js";
import { LinuxApplicationManager } from "./application.js";
import { num, required } from "./values.js";

/** linux::Ping: its command from its attributes (all quoted). */
export class LinuxPingManager extends LinuxApplicationManager {
  protected override command(): string {
    const g = (n: string) => this.attr(n);
    const args = ["ping", "-c", num(g("count")) ?? 5, "-i", num(g("interval")) ?? 1];
    if (num(g("packetSize")) !== undefined) args.push("-s", num(g("packetSize"))!);
    if (num(g("ttl")) !== undefined) args.push("-t", num(g("ttl"))!);
    return `${args.map(shq).join(" ")} -- ${shq(required(g("target"), "target"))}`;
  }
}

registerResourceManager(LINUX_PING.rtype, (ctx) => new LinuxPingManager(ctx));
