import { randomBytes } from "node:crypto";
import { StringDecoder } from "node:string_decoder";
import type { ClientChannel } from "ssh2";
import { shq } from "./quote.js";
import { ConnectionLostError, type ExecResult } from "./types.js";

interface Pending {
  marker: string;
  resolve(r: ExecResult): void;
  reject(e: Error): void;
  stdout?: string;
  code?: number;
  stderr?: string;
}

/**
 * One long-lived `sh` on an SSH channel that runs control scripts written to its stdin, one
 * after the other (pipelined: no round trip between them). Each script is framed by a unique
 * marker printed after it on stdout (with its exit status) and on stderr, runs in a subshell with
 * stdin from /dev/null — so nothing it does can read our input or end the channel — and is
 * passed as one single-quoted word to `eval`, so its text cannot break the framing.
 */
export class ShellChannel {
  private readonly queue: Pending[] = [];
  private readonly prefix = `__NEPI_${randomBytes(8).toString("hex")}_`;
  private seq = 0;
  private out = "";
  private err = "";
  private readonly outDecoder = new StringDecoder("utf8");
  private readonly errDecoder = new StringDecoder("utf8");
  private closed = false;
  private ready: Promise<void>;
  onClose?: () => void;

  constructor(
    private readonly channel: ClientChannel,
    private readonly label: string,
  ) {
    // Whatever the user's shell start-up prints before our first marker is dropped.
    const sync = this.send("true");
    this.ready = sync.then(() => undefined);
    this.ready.catch(() => {});
    channel.on("data", (c: Buffer) => {
      this.out += this.outDecoder.write(c);
      this.drain();
    });
    channel.stderr.on("data", (c: Buffer) => {
      this.err += this.errDecoder.write(c);
      this.drain();
    });
    channel.on("close", () => this.fail(new ConnectionLostError(`${label}: the connection closed while a command ran`)));
    channel.on("error", (e: Error) => this.fail(new ConnectionLostError(`${label}: ${e.message}`)));
  }

  /** Scripts queued or running on this channel. */
  get load(): number {
    return this.queue.length;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  async run(script: string): Promise<ExecResult> {
    try {
      await this.ready;
    } catch (e) {
      throw new ConnectionLostError((e as Error).message, false);
    }
    return this.send(script);
  }

  private send(script: string): Promise<ExecResult> {
    if (this.closed) return Promise.reject(new ConnectionLostError(`${this.label}: the connection is closed`, false));
    const marker = `${this.prefix}${++this.seq}__`;
    return new Promise<ExecResult>((resolve, reject) => {
      this.queue.push({ marker, resolve, reject });
      this.channel.write(
        `( eval ${shq(script)} ) </dev/null; printf '\\n%s %d\\n' ${marker} "$?"; printf '\\n%s\\n' ${marker} >&2\n`,
      );
    });
  }

  /** Completes the scripts whose both markers arrived, in order. */
  private drain(): void {
    while (this.queue.length > 0) {
      const p = this.queue[0]!;
      if (p.code === undefined) {
        const at = this.out.indexOf(`\n${p.marker} `);
        if (at < 0) return this.checkOverflow();
        const eol = this.out.indexOf("\n", at + p.marker.length + 2);
        if (eol < 0) return;
        p.stdout = this.out.slice(0, at);
        p.code = Number(this.out.slice(at + p.marker.length + 2, eol));
        this.out = this.out.slice(eol + 1);
      }
      if (p.stderr === undefined) {
        const at = this.err.indexOf(`\n${p.marker}\n`);
        if (at < 0) return;
        p.stderr = this.err.slice(0, at);
        this.err = this.err.slice(at + p.marker.length + 2);
      }
      this.queue.shift();
      p.resolve({ stdout: p.stdout!, stderr: p.stderr, code: p.code });
    }
  }

  private checkOverflow(): void {
    // Control scripts print little; a runaway one must not eat the memory.
    if (this.out.length > 64 * 1024 * 1024) this.fail(new Error(`${this.label}: a control command printed more than 64 MiB`));
  }

  private fail(error: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(error);
    this.channel.end();
    this.onClose?.();
  }

  close(): void {
    if (this.closed) return;
    this.fail(new ConnectionLostError(`${this.label}: closed`));
  }
}
