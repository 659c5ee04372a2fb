import { spawn } from "node:child_process";
import { cp, mkdir, open, readFile, stat, writeFile, chmod, copyFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname } from "node:path";
import type { ExecResult, StreamHandle, StreamHandlers, Transport } from "./types.js";

/** The local machine: scripts run with `sh` as child processes, files through `fs`. */
export class LocalTransport implements Transport {
  readonly label = "local";
  readonly isLocal = true;

  async connect(): Promise<void> {}

  async home(): Promise<string> {
    return process.env.HOME || homedir();
  }

  exec(script: string): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      // Not detached: the script stays in our process group, so a signal to the group reaches what it starts.
      const child = spawn("sh", ["-c", script], { stdio: ["ignore", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (c: Buffer) => out.push(c));
      child.stderr.on("data", (c: Buffer) => err.push(c));
      child.on("error", reject);
      child.on("close", (code, signal) => {
        resolve({
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8"),
          code: code ?? 128 + signalNumber(signal),
        });
      });
    });
  }

  stream(script: string, handlers: StreamHandlers): StreamHandle {
    // stdin stays open: the script ends its long-lived part when stdin closes (see follower.ts).
    const child = spawn("sh", ["-c", script], { stdio: ["pipe", "pipe", "ignore"] });
    let ended = false;
    const end = (error?: Error) => {
      if (ended) return;
      ended = true;
      handlers.end(error);
    };
    child.stdout.on("data", (c: Buffer) => handlers.data(c));
    child.stdin.on("error", () => {});
    child.on("spawn", () => handlers.open?.());
    child.on("error", (e) => end(e));
    child.on("close", () => end());
    return {
      close: () => {
        if (!child.stdin.destroyed) child.stdin.end();
      },
    };
  }

  readFile(path: string): Promise<Buffer> {
    return readFile(path);
  }

  async readRange(path: string, start: number, length: number): Promise<Buffer> {
    const fh = await open(path, "r");
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, start);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  async size(path: string): Promise<number> {
    try {
      return (await stat(path)).size;
    } catch {
      return -1;
    }
  }

  async writeFile(path: string, data: string | Buffer, mode?: number): Promise<void> {
    await writeFile(path, data);
    if (mode !== undefined) await chmod(path, mode);
  }

  async upload(localPath: string, remotePath: string): Promise<void> {
    await mkdir(dirname(remotePath), { recursive: true });
    await cp(localPath, remotePath, { recursive: true });
  }

  async download(remotePath: string, localPath: string): Promise<void> {
    await copyFile(remotePath, localPath);
  }

  async close(): Promise<void> {}
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const table: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };
  return signal ? (table[signal] ?? 0) : 0;
}
