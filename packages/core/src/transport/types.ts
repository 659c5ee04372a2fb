import type { TerminalSize } from "../model/terminal.js";

/** What a host does for the Linux resources: run short control scripts, stream long ones, move files. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit status of the script (128+n when a signal ended it). */
  code: number;
}

export interface StreamHandlers {
  /** Bytes the command wrote on its standard output, as they come. */
  data(chunk: Buffer): void;
  /** The command runs (its channel is open). */
  open?(): void;
  /** The command ended: by itself, because `close()` was called, or because the connection dropped (`error`). */
  end(error?: Error): void;
}

export interface StreamHandle {
  close(): void;
}

export interface ShellHandlers {
  /** Bytes the terminal shows, as they come. */
  data(chunk: Buffer): void;
  /** The shell runs on its pty. */
  open?(): void;
  /** The shell ended: by itself (`code`), because `close()` was called, or it could not start or was cut (`error`). */
  end(error?: Error, code?: number): void;
}

/** An interactive login shell on a pty (a terminal pane). */
export interface ShellHandle {
  /** Keystrokes (or pasted text) to the shell; sent once it is open when it is still opening. */
  write(data: string | Buffer): void;
  /** The pane's new size: the shell gets SIGWINCH and `stty size` answers it. */
  resize(size: TerminalSize): void;
  /** Ends the shell and its pty (its session gets SIGHUP). */
  close(): void;
}

export interface Transport {
  /** For messages: `local` or `user@host:port`. */
  readonly label: string;
  readonly isLocal: boolean;
  /** Connects (SSH) — fails with a clear error for a wrong key, an unknown host key… */
  connect(): Promise<void>;
  /** The user's home directory on the host. */
  home(): Promise<string>;
  /**
   * Runs a short shell script (stdin from /dev/null, in a subshell) and returns its output.
   * A script is never run twice: a connection lost while it ran rejects with `ConnectionLostError`.
   */
  exec(script: string): Promise<ExecResult>;
  /**
   * Runs a long-lived script whose stdout is delivered as it is produced (a `tail -F`).
   * The remote processes end when the handle is closed or the connection drops.
   */
  stream(script: string, handlers: StreamHandlers): StreamHandle;
  /** The user's shell on a pty of `size`: an SSH shell channel, or a local pty. */
  shell(size: TerminalSize, handlers: ShellHandlers): ShellHandle;
  readFile(path: string): Promise<Buffer>;
  /** `length` bytes (or fewer at the end of the file) from byte `start`. */
  readRange(path: string, start: number, length: number): Promise<Buffer>;
  /** Size in bytes, or -1 when the file does not exist. */
  size(path: string): Promise<number>;
  writeFile(path: string, data: string | Buffer, mode?: number): Promise<void>;
  /** Copies a local file or directory (recursively) to the host. */
  upload(localPath: string, remotePath: string): Promise<void>;
  /** Copies a file of the host to a local path (its directory must exist). */
  download(remotePath: string, localPath: string): Promise<void>;
  close(): Promise<void>;
}

/** The connection dropped while a script ran: it may or may not have run, so it is not retried. */
export class ConnectionLostError extends Error {
  /** False when the script was never sent: it did not run, and may be sent again. */
  readonly sent: boolean;
  constructor(message: string, sent = true) {
    super(message);
    this.name = "ConnectionLostError";
    this.sent = sent;
  }
}

/** Connecting failed for a reason retrying cannot fix (authentication, host key). */
export class SshSetupError extends Error {
  readonly kind: "auth" | "hostkey" | "config" | "connect";
  constructor(kind: "auth" | "hostkey" | "config" | "connect", message: string) {
    super(message);
    this.name = "SshSetupError";
    this.kind = kind;
  }
}

/** The transport was closed on purpose: nothing will be retried on it. */
export class TransportClosedError extends Error {
  constructor(label: string) {
    super(`${label}: the connection was closed (resource released)`);
    this.name = "TransportClosedError";
  }
}
