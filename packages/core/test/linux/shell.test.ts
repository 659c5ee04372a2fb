import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { userInfo } from "node:os";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { SshTransport } from "../../src/transport/ssh.js";
import { LocalTransport } from "../../src/transport/local.js";
import type { ShellHandle, Transport } from "../../src/transport/types.js";

const sshd = inject("sshd");

/** A shell on a pty, its output gathered, and a way to wait for some of it. */
function openShell(t: Transport, cols = 80, rows = 24) {
  let text = "";
  const waiters: Array<() => void> = [];
  let ended: (v: { error?: Error; code?: number }) => void = () => {};
  const end = new Promise<{ error?: Error; code?: number }>((r) => (ended = r));
  const handle: ShellHandle = t.shell(
    { cols, rows },
    {
      data: (d) => {
        text += d.toString("utf8");
        for (const w of waiters.splice(0)) w();
      },
      end: (error, code) => ended({ error, code }),
    },
  );
  /** The first match of `re` in what the shell printed, once it is there. */
  const until = async (re: RegExp): Promise<RegExpExecArray> => {
    for (;;) {
      const m = re.exec(text);
      if (m) return m;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { handle, until, end, text: () => text };
}

const alive = (pid: number) => existsSync(`/proc/${pid}`);

for (const kind of ["ssh", "local"] as const) {
  describe(`a ${kind} shell on a pty`, () => {
    let t: Transport;
    beforeAll(() => {
      t =
        kind === "ssh"
          ? new SshTransport({
              host: sshd.host,
              port: sshd.port,
              username: userInfo().username,
              identity: sshd.identity,
              knownHosts: sshd.knownHosts,
              strictHostKeyChecking: "yes",
            })
          : new LocalTransport();
    });
    afterAll(async () => t.close());

    it("runs what is typed, follows resizes, and its process ends with close()", { timeout: 15_000 }, async () => {
      const s = openShell(t, 80, 24);
      const word = `hi-${randomBytes(4).toString("hex")}`;
      s.handle.write(`echo ${word}\r`);
      // The output line, not the echo of the typed command.
      await s.until(new RegExp(`[\\r\\n]${word}\\r?\\n`));
      s.handle.write("stty size; echo pid-$$-end\r");
      await s.until(/[\r\n]24 80\r?\n/);
      const pid = Number((await s.until(/pid-(\d+)-end/))[1]);
      expect(alive(pid)).toBe(true);
      s.handle.resize({ cols: 123, rows: 45 });
      s.handle.write("stty size\r");
      await s.until(/[\r\n]45 123\r?\n/);
      s.handle.close();
      expect((await s.end).error).toBeUndefined();
      await vi.waitFor(() => expect(alive(pid)).toBe(false), { timeout: 10_000, interval: 50 });
    });

    it("closed before it opened, it ends and starts no shell", async () => {
      const s = openShell(t);
      s.handle.write("echo never\r");
      s.handle.close();
      expect(await s.end).toEqual({ error: undefined, code: undefined });
      expect(s.text()).toBe("");
      // No shell of ours is left as a child of this process (a local pty's shell would be).
      expect(execFileSync("ps", ["-o", "args=", "--ppid", String(process.pid)]).toString()).not.toMatch(/bash/);
    });

    it("reports the shell's own exit with its code", async () => {
      const s = openShell(t);
      s.handle.write("exit 7\r");
      expect(await s.end).toEqual({ error: undefined, code: 7 });
    });
  });
}

describe("a shell that cannot start", () => {
  it("ends with the connection's reason", async () => {
    const t = new SshTransport({
      host: sshd.host,
      port: sshd.port,
      username: userInfo().username,
      identity: "/nonexistent/key",
      knownHosts: sshd.knownHosts,
      strictHostKeyChecking: "yes",
    });
    const s = openShell(t);
    const { error } = await s.end;
    expect(error?.message).toMatch(/cannot read identity \/nonexistent\/key/);
    await t.close();
  });
});
