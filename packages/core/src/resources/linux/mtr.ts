import { registerResourceManager } from "../../catalog/registry.js";
import { LINUX_MTR } from "../../catalog/types/linux-mtr.js";
import { shq } from "../../transport/quote.js";
import { LinuxApplicationManager } from "./application.js";
import { num, required } from "./values.js";

/** linux::Mtr: one mtr report, as JSON, built from its attributes (all quoted). */
export class LinuxMtrManager extends LinuxApplicationManager {
  protected override command(): string {
    const g = (n: string) => this.attr(n);
    const args: Array<string | number> = [
      "mtr",
      "--report",
      "--json",
      "--report-cycles",
      num(g("cycles")) ?? 10,
      "--interval",
      num(g("interval")) ?? 1,
    ];
    args.push("--max-ttl", num(g("maxHops")) ?? 30, "--gracetime", num(g("gracetime")) ?? 5);
    if (g("numeric") !== false) args.push("--no-dns");
    // mtr exits 0 when it could not even start (an unknown host): no report is a failure.
    return `${args.map(shq).join(" ")} -- ${shq(required(g("target"), "target"))}; rc=$?; if [ "$rc" = 0 ] && [ ! -s stdout ]; then exit 1; fi; exit "$rc"`;
  }
}

registerResourceManager(LINUX_MTR.rtype, (ctx) => new LinuxMtrManager(ctx));
