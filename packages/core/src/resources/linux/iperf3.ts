import { registerResourceManager } from "../../catalog/registry.js";
import { IPERF3_PEER, LINUX_IPERF3 } from "../../catalog/types/linux-iperf3.js";
import type { ResourceHandle } from "../../engine/resource-manager.js";
import { parseTime } from "../../model/time.js";
import { parseIperf3 } from "../../parsers/iperf3.js";
import { shq } from "../../transport/quote.js";
import { LinuxApplicationManager } from "./application.js";
import { num, str } from "./values.js";

/** linux::Iperf3: a server (STARTED once it listens) or a client of a connected server. */
export class LinuxIperf3Manager extends LinuxApplicationManager {
  private role(): "server" | "client" {
    return this.ctx.get("role") === "server" ? "server" : "client";
  }

  /** The connected iperf3 server, if any. */
  private server(): ResourceHandle | undefined {
    return this.ctx.connected(IPERF3_PEER).find((h) => h.get("role") === "server");
  }

  /** The server's address: the `server` attribute, or the host of the connected iperf3 server. */
  private serverHost(): string {
    const explicit = str(this.attr("server"));
    if (explicit) return explicit;
    const peer = this.server();
    if (!peer) throw new Error(`an iperf3 client needs the "server" attribute or a connected iperf3 server`);
    const server = peer.host();
    const host = server.addressSeenFrom?.(this.host()) ?? server.address;
    return host === "localhost" ? "127.0.0.1" : host;
  }

  protected override command(): string {
    const g = (n: string) => this.attr(n);
    const port = num(g("port")) ?? 5201;
    if (this.role() === "server") {
      // One test, then it exits (FINISHED); --forceflush so "Server listening" reaches the trace.
      return ["iperf3", "-s", "-1", "--forceflush", "-p", port].map(shq).join(" ");
    }
    const seconds = Math.max(1, Math.round(parseTime(str(g("duration")) ?? "5s", "duration") / 1000));
    const args: Array<string | number> = ["iperf3", "-c", this.serverHost(), "-p", port, "-t", seconds, "-J"];
    if (g("udp") === true) args.push("-u");
    if (str(g("bandwidth"))) args.push("-b", str(g("bandwidth"))!);
    // iperf3 -J exits 0 even when it could not test (its error is in the JSON): make that a failure.
    return `${args.map(shq).join(" ")}; rc=$?; if [ "$rc" = 0 ] && grep -q '"error":' stdout; then exit 1; fi; exit "$rc"`;
  }

  protected override readyWhen() {
    return this.role() === "server" ? { trace: "stdout", pattern: /Server listening/ } : undefined;
  }

  /** iperf3 -J reports its errors inside its JSON output, not on stderr. */
  protected override async failureDetail(): Promise<string> {
    const r = await this.transport.exec(`cat ${shq(`${this.home}/stdout`)}`);
    return parseIperf3(r.stdout).error ?? (await super.failureDetail());
  }

  /** A server: settles once it listens (its start returned) or failed to start. */
  private readonly listening = deferred();

  override async start(): Promise<void> {
    if (this.role() === "server") {
      try {
        await super.start();
        this.listening.resolve();
      } catch (e) {
        this.listening.reject(e as Error);
        throw e;
      }
      return;
    }
    // A client started together with its server waits until the server listens.
    const peer = this.server();
    if (peer && !str(this.ctx.get("server")) && peer.manager instanceof LinuxIperf3Manager) {
      await untilSettled(
        peer.manager.listening.promise,
        this.ctx.signal,
        60_000,
        `the iperf3 server guid ${peer.guid} did not start listening within 60s`,
      );
    }
    return super.start();
  }
}

function deferred(): { promise: Promise<void>; resolve(): void; reject(e: Error): void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

function untilSettled(p: Promise<void>, signal: AbortSignal, ms: number, timeoutMessage: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(timeoutMessage)), ms);
    const onAbort = () => reject(new Error("aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, (e: Error) => reject(new Error(`its iperf3 server failed: ${e.message}`))).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    });
  });
}

registerResourceManager(LINUX_IPERF3.rtype, (ctx) => new LinuxIperf3Manager(ctx));
