import { registerResourceManager } from "../../catalog/registry.js";
import { LINUX_TCPDUMP } from "../../catalog/types/linux-tcpdump.js";
import { shq } from "../../transport/quote.js";
import { LinuxApplicationManager } from "./application.js";
import { num, str } from "./values.js";

/** linux::Tcpdump: captures until stopped; STARTED once it listens. */
export class LinuxTcpdumpManager extends LinuxApplicationManager {
  protected override command(): string {
    const g = (n: string) => this.attr(n);
    // -U and --immediate-mode: each packet reaches the file at once (not held in a ring block), so
    // the pcap trace is complete when stopped.
    const args = [
      "tcpdump",
      "-i",
      str(g("interface")) ?? "any",
      "-s",
      num(g("snaplen")) ?? 262144,
      "-U",
      "--immediate-mode",
      "-w",
      "pcap",
    ];
    const filter = str(g("filter"));
    // `--`: a filter that starts with "-" is a filter expression, never an option (-w elsewhere).
    return args.map(shq).join(" ") + (filter ? ` -- ${shq(filter)}` : "");
  }
  protected override readyWhen() {
    return { trace: "stderr", pattern: /listening on/ };
  }
}

registerResourceManager(LINUX_TCPDUMP.rtype, (ctx) => new LinuxTcpdumpManager(ctx));
