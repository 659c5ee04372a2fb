import { spawn } from "node:child_process";
import { cp, mkdir, open, readFile, stat, writeFile, chmod, copyFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname } from "node:path";
import type { IPty } from "node-pty";
import type { TerminalSize } from "../model/terminal.js";
import type { ExecResult, ShellHandle, ShellHandlers, StreamHandle, StreamHandlers, Transport } from "./types.js";

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

  /** The user's shell on a local pty (node-pty), in the home directory. */
  shell(size: TerminalSize, handlers: ShellHandlers): ShellHandle {
    // The server's own secrets stay out of the shell's environment.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k, v]) => v !== undefined && k !== "NEPI_TOKEN"),
    ) as Record<string, string>;
    let pty: IPty | undefined;
    let closed = false;
    let ended = false;
    // What the pane sent while node-pty was loading, in order.
    const pending: Array<string | Buffer> = [];
    let pendingSize: TerminalSize | undefined;
    const end = (error?: Error, code?: number) => {
      if (ended) return;
      ended = true;
      handlers.end(error, code);
    };
    // Loaded with the first terminal: a machine where the native module is missing still runs experiments.
    import("node-pty").then(
      ({ spawn: spawnPty }) => {
        if (closed) return end();
        try {
          pty = spawnPty(process.env.SHELL || "/bin/bash", [], {
            name: "xterm-256color",
            cols: size.cols,
            rows: size.rows,
            cwd: env.HOME || homedir(),
            env: { ...env, TERM: "xterm-256color" },
          });
        } catch (e) {
          return end(new Error(`cannot start a local shell: ${(e as Error).message}`));
        }
        handlers.open?.();
        pty.onData((d) => handlers.data(Buffer.from(d, "utf8")));
        pty.onExit(({ exitCode, signal }) => end(undefined, signal ? 128 + signal : exitCode));
        if (pendingSize) pty.resize(pendingSize.cols, pendingSize.rows);
        for (const d of pending.splice(0)) pty.write(d);
      },
      (e: Error) => end(new Error(`cannot open a local terminal (node-pty did not load: ${e.message})`)),
    );
    return {
      write: (data) => {
        if (ended || closed) return;
        if (pty) pty.write(data);
        else pending.push(data);
      },
      resize: (s) => {
        if (ended || closed) return;
        if (pty) pty.resize(s.cols, s.rows);
        else pendingSize = s;
      },
      // SIGHUP, as when a terminal window closes: the shell ends and hangs up its jobs.
      close: () => {
        if (closed) return;
        closed = true;
        if (pty && !ended) pty.kill("SIGHUP");
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
