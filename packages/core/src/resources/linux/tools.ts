import { parseTime } from "../../model/time.js";
import { shq } from "../../transport/quote.js";
import { parseIperf3 } from "../../parsers/iperf3.js";
import { LinuxApplicationManager } from "./application.js";

/**
 * Command-line tools as resources: each builds its command from its attributes, all quoted.
 * No attribute can become an option: free values come after `--` (targets, tcpdump's filter)
 * or as the argument of the option that takes them (`-i`, `-c`, `-b`: getopt takes the next word
 * whatever it starts with); numbers are checked by the catalog.
 */

function num(v: unknown): number | undefined {
  return typeof v === "number" ? v : undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}
function required(v: unknown, name: string): string {
  const s = str(v);
  if (!s) throw new Error(`attribute "${name}" is required`);
  return s;
}

export class LinuxPingManager extends LinuxApplicationManager {
  protected override command(): string {
    const g = (n: string) => this.ctx.get(n);
    const args = ["ping", "-c", num(g("count")) ?? 5, "-i", num(g("interval")) ?? 1];
    if (num(g("packetSize")) !== undefined) args.push("-s", num(g("packetSize"))!);
    if (num(g("ttl")) !== undefined) args.push("-t", num(g("ttl"))!);
    return `${args.map(shq).join(" ")} -- ${shq(required(g("target"), "target"))}`;
  }
  protected override packages(): string[] {
    return ["iputils-ping"];
  }
}

export class LinuxTracerouteManager extends LinuxApplicationManager {
  protected override command(): string {
    const g = (n: string) => this.ctx.get(n);
    const args: Array<string | number> = ["traceroute"];
    if (g("numeric") !== false) args.push("-n");
    args.push("-m", num(g("maxHops")) ?? 30, "-q", num(g("queries")) ?? 3);
    return `${args.map(shq).join(" ")} -- ${shq(required(g("target"), "target"))}`;
  }
  protected override packages(): string[] {
    return ["traceroute"];
  }
}

export class LinuxTcpdumpManager extends LinuxApplicationManager {
  protected override command(): string {
    const g = (n: string) => this.ctx.get(n);
    // -U and --immediate-mode: each packet reaches the file at once (not held in a ring block), so
    // the pcap trace is complete when stopped.
    const args = ["tcpdump", "-i", str(g("interface")) ?? "any", "-s", num(g("snaplen")) ?? 262144, "-U", "--immediate-mode", "-w", "pcap"];
    const filter = str(g("filter"));
    // `--`: a filter that starts with "-" is a filter expression, never an option (-w elsewhere).
    return args.map(shq).join(" ") + (filter ? ` -- ${shq(filter)}` : "");
  }
  protected override packages(): string[] {
    return ["tcpdump"];
  }
  protected override readyWhen() {
    return { trace: "stderr", pattern: /listening on/ };
  }
}

export class LinuxIperf3Manager extends LinuxApplicationManager {
  private role(): "server" | "client" {
    return this.ctx.get("role") === "server" ? "server" : "client";
  }

  /** The server's address: the `server` attribute, or the node of the connected iperf3 server. */
  private serverHost(): string {
    const explicit = str(this.ctx.get("server"));
    if (explicit) return explicit;
    const peer = this.ctx.connected("linux::Iperf3").find((h) => h.get("role") === "server");
    if (!peer) throw new Error(`an iperf3 client needs the "server" attribute or a connected iperf3 server`);
    const node = (peer.manager as LinuxIperf3Manager).ctx.connected("linux::Node")[0];
    const host = str(node?.get("hostname")) ?? "localhost";
    return host === "localhost" ? "127.0.0.1" : host;
  }

  protected override command(): string {
    const g = (n: string) => this.ctx.get(n);
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

  protected override packages(): string[] {
    return ["iperf3"];
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
    const peer = this.ctx.connected("linux::Iperf3").find((h) => h.get("role") === "server");
    if (peer && !str(this.ctx.get("server"))) {
      const server = peer.manager as LinuxIperf3Manager;
      await untilSettled(server.listening.promise, this.ctx.signal, 60_000, `the iperf3 server guid ${peer.guid} did not start listening within 60s`);
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
