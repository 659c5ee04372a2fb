import type { TerminalSize } from "../../model/terminal.js";
import { shq } from "../../transport/quote.js";
import type { Enter } from "../../transport/exec-batch.js";
import type { ExecResult, ShellHandle, ShellHandlers, StreamHandle, StreamHandlers, Transport } from "../../transport/types.js";

/**
 * How a command enters a namespace on a machine, with sudo when the machine's user is not root —
 * and then back to that user inside, so the files an application writes in its directory stay
 * its own. Commands enter only the network namespace (`nsenter --net`, ~3 ms): sockets, netlink
 * and /proc/sys/net are the namespace's. An interactive shell goes through `ip netns exec`
 * (~7 ms: a mount namespace of its own with /sys remounted and /etc/netns/<ns> bound), so that
 * what a person types there (`ls /sys/class/net`, a resolver) sees the namespace too.
 */
export function enterNamespace(ns: string, user: { root: boolean; name: string }, how: "net" | "full" = "net"): string {
  const enter = how === "net" ? `nsenter --net=${shq(`/run/netns/${ns}`)}` : `ip netns exec ${shq(ns)}`;
  return user.root ? enter : `sudo -n ${enter} sudo -n -u ${shq(user.name)} --`;
}

/**
 * A namespace host's transport: the machine's, with every command (exec, stream, shell) run
 * inside the namespace. Files go straight through: a namespace shares the machine's filesystem.
 */
export class NetnsTransport implements Transport {
  readonly label: string;
  readonly isLocal: boolean;
  private readonly prefix: string;
  private readonly shellPrefix: string;
  /** How a batch of the machine's connection enters the namespace (its scripts there share one shell). */
  readonly enter: Enter;

  constructor(
    /** The machine's transport: its connection carries every command. */
    readonly connection: Transport,
    readonly ns: string,
    user: { root: boolean; name: string },
  ) {
    this.label = `${connection.label} (netns ${ns})`;
    this.isLocal = connection.isLocal;
    this.prefix = enterNamespace(ns, user);
    this.shellPrefix = enterNamespace(ns, user, "full");
    const prefix = this.prefix;
    this.enter = { key: ns, wrap: (script, arg0) => `${prefix} sh -c ${shq(script)} ${arg0}` };
  }

  private inside(script: string): string {
    return this.enter.wrap(script, "sh");
  }

  connect(): Promise<void> {
    return this.connection.connect();
  }
  home(): Promise<string> {
    return this.connection.home();
  }
  exec(script: string): Promise<ExecResult> {
    return this.connection.exec(this.inside(script));
  }
  stream(script: string, handlers: StreamHandlers): StreamHandle {
    return this.connection.stream(this.inside(script), handlers);
  }
  shell(size: TerminalSize, handlers: ShellHandlers): ShellHandle {
    // The machine's login shell hands over to one inside the namespace at once.
    const shell = this.connection.shell(size, handlers);
    shell.write(`exec ${this.shellPrefix} "\${SHELL:-/bin/sh}" -l\n`);
    return shell;
  }
  readFile(path: string): Promise<Buffer> {
    return this.connection.readFile(path);
  }
  readRange(path: string, start: number, length: number): Promise<Buffer> {
    return this.connection.readRange(path, start, length);
  }
  size(path: string): Promise<number> {
    return this.connection.size(path);
  }
  writeFile(path: string, data: string | Buffer, mode?: number): Promise<void> {
    return this.connection.writeFile(path, data, mode);
  }
  upload(localPath: string, remotePath: string): Promise<void> {
    return this.connection.upload(localPath, remotePath);
  }
  download(remotePath: string, localPath: string): Promise<void> {
    return this.connection.download(remotePath, localPath);
  }
  /** The machine owns the connection: closing a namespace's view of it closes nothing. */
  async close(): Promise<void> {}
}
