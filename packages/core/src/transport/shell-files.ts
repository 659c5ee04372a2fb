import { createReadStream, createWriteStream } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import type { Readable, Writable } from "node:stream";
import { shq } from "./quote.js";
import type { ExecResult } from "./types.js";

/**
 * Runs `script` with `sh` on an exec channel of its own — 8-bit clean, so any bytes go through
 * unchanged: `input` (a buffer or a stream) becomes its stdin, its stdout goes to `output`.
 * Resolves with its exit code and stderr once it ended.
 */
export type RawExec = (
  script: string,
  input: Buffer | Readable | undefined,
  output: (chunk: Buffer) => void,
) => Promise<{ code: number; stderr: string }>;

/** Up to this size a file goes base64-encoded through the shared control shells (no channel to open). */
const INLINE_MAX = 1 << 20;

/**
 * Files moved over the shell for hosts whose sshd has no SFTP subsystem (minimal images,
 * embedded or hardened hosts), with the same results as SFTP. A small file goes base64-encoded
 * through the pipelined control shells; a large one (or any, without base64 on the host) by
 * `cat` on an exec channel of its own. Every path is quoted and comes after `--`.
 */
export class ShellFiles {
  private base64?: Promise<boolean>;

  constructor(
    private readonly exec: (script: string) => Promise<ExecResult>,
    private readonly raw: RawExec,
    private readonly label: string,
  ) {}

  /** Whether the host has base64 (asked once). */
  private inline(): Promise<boolean> {
    this.base64 ??= this.exec("command -v base64 >/dev/null").then((r) => r.code === 0);
    return this.base64;
  }

  private fail(what: string, path: string, r: { code: number; stderr: string }): Error {
    return new Error(`${path}: ${what} on ${this.label} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  }

  private async rawRun(
    what: string,
    path: string,
    script: string,
    input?: Buffer | Readable,
    output: (c: Buffer) => void = () => {},
  ): Promise<void> {
    const r = await this.raw(script, input, output);
    if (r.code !== 0) throw this.fail(what, path, r);
  }

  /** The file base64-encoded when it is small, or undefined for a large one. */
  private async readInline(path: string): Promise<Buffer | undefined> {
    if (!(await this.inline())) return undefined;
    const f = shq(path);
    const r = await this.exec(
      `s=$(wc -c < ${f}) || exit 1; if [ "$s" -gt ${INLINE_MAX} ]; then echo large; else echo small; base64 < ${f}; fi`,
    );
    if (r.code !== 0) throw this.fail("reading", path, r);
    const nl = r.stdout.indexOf("\n");
    return r.stdout.slice(0, nl) === "small" ? Buffer.from(r.stdout.slice(nl + 1), "base64") : undefined;
  }

  async readFile(path: string): Promise<Buffer> {
    const inline = await this.readInline(path);
    if (inline) return inline;
    const chunks: Buffer[] = [];
    await this.rawRun("reading", path, `cat -- ${shq(path)}`, undefined, (c) => chunks.push(c));
    return Buffer.concat(chunks);
  }

  async readRange(path: string, start: number, length: number): Promise<Buffer> {
    const f = shq(path);
    // tail -c +N counts from 1; head stops reading once it has `length` bytes.
    const range = `[ -r ${f} ] || { echo "cannot read it" >&2; exit 1; }; tail -c +${start + 1} -- ${f} | head -c ${length}`;
    if (length <= INLINE_MAX && (await this.inline())) {
      const r = await this.exec(`${range} | base64`);
      if (r.code !== 0) throw this.fail("reading", path, r);
      return Buffer.from(r.stdout, "base64");
    }
    const chunks: Buffer[] = [];
    await this.rawRun("reading", path, range, undefined, (c) => chunks.push(c));
    return Buffer.concat(chunks);
  }

  async writeFile(path: string, data: Buffer, mode?: number): Promise<void> {
    const f = shq(path);
    const chmod = mode !== undefined ? ` && chmod ${(mode & 0o7777).toString(8)} ${f}` : "";
    if (data.length <= INLINE_MAX && (await this.inline())) {
      const r = await this.exec(`printf %s ${shq(data.toString("base64"))} | base64 -d > ${f}${chmod}`);
      if (r.code !== 0) throw this.fail("writing", path, r);
      return;
    }
    await this.rawRun("writing", path, `cat > ${f}${chmod}`, data);
  }

  /** Copies a local file to `remote` (its directory exists), with `mode`. */
  async upload(local: string, remote: string, mode: number): Promise<void> {
    const size = (await stat(local)).size;
    if (size <= INLINE_MAX) return this.writeFile(remote, await readFile(local), mode & 0o777);
    await this.rawRun(
      "writing",
      remote,
      `cat > ${shq(remote)} && chmod ${(mode & 0o777).toString(8)} ${shq(remote)}`,
      createReadStream(local),
    );
  }

  async download(remote: string, local: string): Promise<void> {
    const inline = await this.readInline(remote);
    if (inline) return writeFile(local, inline);
    const file = createWriteStream(local);
    await new Promise<void>((resolve, reject) => file.once("open", () => resolve()).once("error", reject));
    try {
      await this.rawRun("reading", remote, `cat -- ${shq(remote)}`, undefined, (c) => {
        file.write(c);
      });
    } finally {
      await closeStream(file);
    }
  }
}

function closeStream(w: Writable): Promise<void> {
  return new Promise((resolve, reject) => w.end((err?: Error | null) => (err ? reject(err) : resolve())));
}
