import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ExperimentController } from "../../src/node.js";
import { newController, nodeAttributes, type HostKind } from "../support/linux.js";

let ec: ExperimentController | undefined;

/** A process runs (a zombie waiting for init to reap it has ended). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
afterEach(async () => {
  await ec?.shutdown();
  ec = undefined;
});

for (const kind of ["ssh", "local"] as HostKind[]) {
  describe(`linux::Application on ${kind}`, () => {
    it("runs a command, reaches FINISHED and collects its stdout into the results directory", async () => {
      ec = newController("stdout");
      const node = ec.registerResource("linux::Node", nodeAttributes(kind));
      const app = ec.registerResource(
        "linux::Application",
        { command: "echo hello from $APP_HOME; echo warn >&2" },
        { label: "hello app" },
      );
      ec.registerConnection(app, node);
      ec.registerTrace(app, "stdout");
      ec.registerTrace(app, "stderr");
      ec.deploy();
      await ec.waitFinished(app, { timeout: "30s" });
      const out = String(await ec.trace(app, "stdout"));
      expect(out).toMatch(new RegExp(`^hello from \\S+/\\.nepi/${ec.expId}/${ec.runId}/${app}\\n$`));
      expect(await ec.trace(app, "stderr")).toBe("warn\n");
      expect(await ec.trace(app, "stdout", { attr: "SIZE" })).toBe(Buffer.byteLength(out));
      expect(await ec.trace(app, "stdout", { attr: "STREAM", block: 5, offset: 1 })).toBe(out.slice(5, 10));
      await ec.release();
      expect(ec.state(app)).toBe("RELEASED");
      const local = join(ec.rootDir, ec.expId, ec.runId, `${app}-hello_app`, "stdout");
      expect(readFileSync(local, "utf8")).toBe(out);
      expect(await ec.trace(app, "stdout", { attr: "PATH" })).toBe(local);
    });

    it("fails with the exit code and the last lines of stderr", async () => {
      ec = newController("fail");
      const node = ec.registerResource("linux::Node", nodeAttributes(kind));
      const app = ec.registerResource("linux::Application", {
        command: "echo step one >&2; echo 'no such thing: frobnicate' >&2; exit 3",
      });
      ec.registerConnection(app, node);
      ec.deploy();
      await expect(ec.waitFinished(app, { timeout: "30s" })).rejects.toThrow(/exit code 3/);
      expect(ec.state(app)).toBe("FAILED");
      expect(ec.failure(app)).toBe("exit code 3: step one\nno such thing: frobnicate");
    });

    it("stop ends the whole process group: nothing is left running", async () => {
      ec = newController("stop");
      const node = ec.registerResource("linux::Node", nodeAttributes(kind));
      // Two processes in the group: a background sleep, and a foreground one that says when it runs.
      const app = ec.registerResource("linux::Application", {
        command: `sleep 300 & echo "$!" > pids; sh -c 'echo "$$" >> pids; echo ready; exec sleep 301'; echo never`,
      });
      ec.registerConnection(app, node);
      ec.registerTrace(app, "stdout");
      ec.deploy();
      await ec.waitStarted(app, { timeout: "30s" });
      await new Promise<void>((resolve) => {
        const stop = ec!.followTrace(app, "stdout", {}, (chunk) => chunk.includes("ready") && (stop(), resolve()));
      });
      const pids = String(await ec.trace(app, "pids"))
        .trim()
        .split("\n")
        .map(Number);
      expect(pids).toHaveLength(2);
      for (const pid of pids) expect(alive(pid)).toBe(true);
      await ec.stop(app);
      expect(ec.state(app)).toBe("STOPPED");
      for (const pid of pids) expect(alive(pid)).toBe(false);
      expect(await ec.trace(app, "stdout")).toBe("ready\n");
    });

    it("stop escalates to SIGKILL for a command that ignores SIGTERM", async () => {
      ec = newController("stubborn");
      const node = ec.registerResource("linux::Node", nodeAttributes(kind));
      const app = ec.registerResource("linux::Application", {
        command: 'trap \'\' TERM; echo "$$" > pids; sleep 301 & echo "$!" >> pids; wait',
      });
      ec.registerConnection(app, node);
      ec.deploy();
      await ec.waitStarted(app, { timeout: "30s" });
      await new Promise<void>((resolve) => {
        const stop = ec!.followTrace(app, "pids", {}, (chunk) => chunk.trim().split("\n").length === 2 && (stop(), resolve()));
      });
      const pids = String(await ec.trace(app, "pids"))
        .trim()
        .split("\n")
        .map(Number);
      await ec.stop(app);
      expect(ec.state(app)).toBe("STOPPED");
      for (const pid of pids) expect(alive(pid)).toBe(false);
    });

    it("passes hostile attribute values as data, never as shell code", async () => {
      ec = newController("hostile");
      const dir = mkdtempSync(join(tmpdir(), "nepi-hostile-"));
      // Any injection would create this file in the home directory (the names hold no "/").
      const marker = `nepi-pwned-${process.pid}-${kind}`;
      const pwned = `$(cd; touch ${marker})`;
      const pwnedPath = join(homedir(), marker);
      const evil = `'; ${pwned}; echo '${pwned}\`cd; touch ${marker}\`" \n; cd; touch ${marker} # \\`;
      const local = join(dir, `we'ird $(cd && touch ${marker}) name.txt`);
      writeFileSync(local, "uploaded");
      const node = ec.registerResource("linux::Node", nodeAttributes(kind));
      const app = ec.registerResource("linux::Application", {
        command: 'cat; printf "[%s]" "$EVIL"; cat "$APP_HOME"/we*',
        stdin: evil,
        env: `EVIL='${evil.replace(/'/g, "")}'`,
        files: local,
      });
      const ping = ec.registerResource("linux::Ping", { target: `127.0.0.1; cd; touch ${marker}`, count: 1 });
      ec.registerConnection(app, node);
      ec.registerConnection(ping, node);
      ec.registerTrace(app, "stdout");
      ec.registerTrace(ping, "stderr");
      ec.registerCondition(ping, "START", app, "FINISHED");
      ec.set(ping, "critical", false);
      ec.deploy();
      await ec.waitFinished(app, { timeout: "30s" });
      expect(await ec.trace(app, "stdout")).toBe(`${evil}[${evil.replace(/'/g, "")}]uploaded`);
      // ping got the whole text as one host name, and could not resolve it.
      await expect(ec.waitFinished(ping, { timeout: "30s" })).rejects.toThrow(/exit code/);
      expect(String(await ec.trace(ping, "stderr"))).toContain(`127.0.0.1; cd; touch ${marker}`);
      expect(existsSync(pwnedPath)).toBe(false);
    });
  });
}
