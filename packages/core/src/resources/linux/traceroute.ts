import { registerResourceManager } from "../../catalog/registry.js";
import { LINUX_TRACEROUTE } from "../../catalog/types/linux-traceroute.js";
import { shq } from "../../transport/quote.js";
import { LinuxApplicationManager } from "./application.js";
import { num, required } from "./values.js";

/** linux::Traceroute: its command from its attributes (all quoted). */
export class LinuxTracerouteManager extends LinuxApplicationManager {
  protected override command(): string {
    const g = (n: string) => this.attr(n);
    const args: Array<string | number> = ["traceroute"];
    if (g("numeric") !== false) args.push("-n");
    args.push("-m", num(g("maxHops")) ?? 30, "-q", num(g("queries")) ?? 3);
    return `${args.map(shq).join(" ")} -- ${shq(required(g("target"), "target"))}`;
  }
}

registerResourceManager(LINUX_TRACEROUTE.rtype, (ctx) => new LinuxTracerouteManager(ctx));
