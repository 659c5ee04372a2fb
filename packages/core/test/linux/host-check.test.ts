import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { checkHosts, type ExperimentDocumentInput, type HostReport, type HostsCheckReport } from "../../src/node.js";
import { freePort } from "../../src/bench/sshd.js";
import { nodeAttributes } from "../support/linux.js";

const ensure = fileURLToPath(new URL("../../../../scripts/ensure-system-packages.sh", import.meta.url));
const sshd = inject("sshd");
/** A user of this machine without passwordless sudo: it logs in with the test key (the private sshd's authorized_keys serves every user). */
const plainUser = `nepick${process.pid % 10000}`;
/** A user whose login shell swallows every command and never answers. */
const hangUser = `nepihg${process.pid % 10000}`;
/** A Debian package apt knows and this machine does not have. */
const NOT_INSTALLED = "cowsay";

let dir: string;
let silent: Server;
let silentPort: number;
const held = new Set<Socket>();

beforeAll(async () => {
  execFileSync("bash", [ensure, "sudo"], { stdio: "inherit" });
  dir = mkdtempSync(join(tmpdir(), "nepi-check-"));
  chmodSync(dir, 0o755);
  // It reads its input to the end (so it ends when the connection does) and says nothing.
  writeFileSync(join(dir, "hang.sh"), "#!/bin/sh\nexec cat >/dev/null\n", { mode: 0o755 });
  for (const [user, shell] of [
    [plainUser, "/bin/sh"],
    [hangUser, join(dir, "hang.sh")],
  ] as const) {
    execFileSync("useradd", ["--create-home", "--shell", shell, user]);
    // A password, never used: sshd (without PAM) refuses a locked account even with a good key.
    execFileSync("chpasswd", [], { input: `${user}:pw-${Math.random().toString(36).slice(2)}\n` });
  }
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "stranger")]);
  writeFileSync(join(dir, "empty_known_hosts"), "");
  // The host's name with another key (the stranger's): as after a reinstall, or an attack.
  const other = readFileSync(join(dir, "stranger.pub"), "utf8").split(" ").slice(0, 2).join(" ");
  writeFileSync(join(dir, "changed_known_hosts"), `[${sshd.host}]:${sshd.port} ${other}\n`);
  // Takes TCP connections and never says a word: an SSH server that hangs.
  silent = createServer((s) => held.add(s.on("close", () => held.delete(s))));
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  silentPort = (silent.address() as { port: number }).port;
}, 300_000);

afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise((r) => silent?.close(r));
  for (const user of [plainUser, hangUser]) execFileSync("userdel", ["--force", "--remove", user], { stdio: "ignore" });
  rmSync(dir, { recursive: true, force: true });
});

function design(
  hosts: Array<{
    label: string;
    attributes: Record<string, string | number>;
    apps?: Array<{ type: string; attributes: Record<string, string | number | boolean> }>;
  }>,
): ExperimentDocumentInput {
  const resources: ExperimentDocumentInput["resources"] = [];
  const connections: Array<{ source: number; target: number }> = [];
  let guid = 0;
  for (const h of hosts) {
    const host = ++guid;
    resources.push({ guid: host, type: "linux::Node", label: h.label, attributes: h.attributes });
    for (const a of h.apps ?? []) {
      resources.push({ guid: ++guid, type: a.type, attributes: a.attributes });
      connections.push({ source: guid, target: host });
    }
  }
  return { format: "nepi-experiment@1", name: "test-host-check", resources, connections };
}

function host(report: HostsCheckReport, label: string): HostReport {
  const h = report.hosts.find((x) => x.label === label);
  if (!h) throw new Error(`no report for ${label}`);
  return h;
}
const statusOf = (h: HostReport) => Object.fromEntries(h.checks.map((c) => [c.name, c.status]));
const checkOf = (h: HostReport, name: string, match?: RegExp) =>
  h.checks.find((c) => c.name === name && (!match || match.test(c.reason)));

describe("host checks before deploy", () => {
  let report: HostsCheckReport;
  beforeAll(async () => {
    expect(
      execFileSync("sh", ["-c", `dpkg-query -W -f='\${Status}' ${NOT_INSTALLED} 2>/dev/null || true`]).toString(),
    ).not.toContain("install ok installed");
    const ssh = nodeAttributes("ssh", sshd);
    report = await checkHosts(
      design([
        {
          label: "good",
          attributes: ssh,
          apps: [
            { type: "linux::Ping", attributes: { target: "127.0.0.1" } },
            { type: "linux::Iperf3", attributes: { role: "server" } },
          ],
        },
        {
          label: "local",
          attributes: { hostname: "localhost" },
          apps: [{ type: "linux::Ping", attributes: { target: "127.0.0.1" } }],
        },
        { label: "wrong-key", attributes: { ...ssh, identity: join(dir, "stranger") } },
        { label: "no-such-user", attributes: { ...ssh, username: "nepi-nobody-here" } },
        { label: "closed-port", attributes: { ...ssh, port: await freePort() } },
        { label: "silent", attributes: { ...ssh, port: silentPort } },
        {
          label: "unknown-key",
          attributes: { ...ssh, knownHosts: join(dir, "empty_known_hosts"), strictHostKeyChecking: "yes" },
        },
        {
          label: "new-key",
          attributes: { ...ssh, knownHosts: join(dir, "learnt_known_hosts"), strictHostKeyChecking: "accept-new" },
        },
        {
          label: "changed-key",
          attributes: { ...ssh, knownHosts: join(dir, "changed_known_hosts"), strictHostKeyChecking: "accept-new" },
        },
        {
          label: "root-missing-packages",
          attributes: ssh,
          apps: [
            { type: "linux::Application", attributes: { command: "true", depends: `${NOT_INSTALLED} nepi-no-such-package` } },
          ],
        },
        {
          label: "plain-user",
          attributes: { ...ssh, username: plainUser },
          apps: [
            { type: "linux::Application", attributes: { command: "id", sudo: true } },
            { type: "linux::Application", attributes: { command: "cowsay hi", depends: NOT_INSTALLED } },
          ],
        },
      ]),
      { connectTimeout: 1500 },
    );
  }, 60_000);

  it("finds everything in order on a good host and on the local machine", () => {
    const good = host(report, "good");
    expect(good).toMatchObject({ ok: true, target: `${process.env.USER || "root"}@${sshd.host}:${sshd.port}` });
    expect(statusOf(good)).toEqual({ reachable: "ok", hostKey: "ok", auth: "ok", shell: "ok", packages: "ok", disk: "ok" });
    expect(checkOf(good, "hostKey")!.reason).toContain(`matches ${sshd.knownHosts}`);
    expect(checkOf(good, "packages")!.reason).toBe("installed: iputils-ping, iperf3");
    expect(checkOf(good, "disk")!.reason).toMatch(/^\d+(\.\d)? [GM]iB free in \//);
    const local = host(report, "local");
    expect(local).toMatchObject({ ok: true, target: "local" });
    expect(statusOf(local)).toEqual({ reachable: "ok", shell: "ok", packages: "ok", disk: "ok" });
  });

  it("says which step failed, why and what to do: key, user, host key", () => {
    for (const label of ["wrong-key", "no-such-user"]) {
      const h = host(report, label);
      expect(h.ok).toBe(false);
      expect(statusOf(h)).toEqual({ reachable: "ok", hostKey: "ok", auth: "problem" });
      expect(checkOf(h, "auth")!.reason).toMatch(/authentication failed/);
      expect(checkOf(h, "auth")!.fix).toMatch(/authorized_keys/);
    }
    expect(checkOf(host(report, "no-such-user"), "auth")!.fix).toContain("nepi-nobody-here@");
    const unknown = host(report, "unknown-key");
    expect(statusOf(unknown)).toEqual({ reachable: "ok", hostKey: "problem" });
    expect(checkOf(unknown, "hostKey")!.reason).toMatch(/unknown host key .*SHA256:/);
    expect(checkOf(unknown, "hostKey")!.fix).toMatch(/ssh-keyscan/);
    // accept-new records an unknown key, as the deploy would, and refuses a changed one.
    const learnt = host(report, "new-key");
    expect(learnt.ok).toBe(true);
    expect(checkOf(learnt, "hostKey")!.reason).toBe(
      `was unknown: recorded in ${join(dir, "learnt_known_hosts")} (strictHostKeyChecking=accept-new)`,
    );
    expect(readFileSync(join(dir, "learnt_known_hosts"), "utf8")).toContain(sshd.hostKey);
    const changed = host(report, "changed-key");
    expect(statusOf(changed)).toEqual({ reachable: "ok", hostKey: "problem" });
    expect(checkOf(changed, "hostKey")!.reason).toMatch(/host key of .* has CHANGED/);
    expect(checkOf(changed, "hostKey")!.fix).toBe(
      `if the change is expected: ssh-keygen -R '[${sshd.host}]:${sshd.port}' -f ${join(dir, "changed_known_hosts")}`,
    );
  });

  it("an unreachable host answers: a closed port at once, a silent server after its connect timeout", () => {
    const closed = host(report, "closed-port");
    expect(statusOf(closed)).toEqual({ reachable: "problem" });
    expect(checkOf(closed, "reachable")!.reason).toMatch(/refused the connection/);
    expect(checkOf(closed, "reachable")!.fix).toMatch(/start sshd/);
    const silentHost = host(report, "silent");
    expect(statusOf(silentHost)).toEqual({ reachable: "problem" });
    expect(checkOf(silentHost, "reachable")!.reason).toMatch(/no SSH handshake completed within 1.5 s/);
  });

  it("reports missing packages: one the deploy will install (root), one apt does not know", () => {
    const h = host(report, "root-missing-packages");
    expect(h.ok).toBe(false);
    expect(checkOf(h, "packages", new RegExp(`^${NOT_INSTALLED} is not installed`))).toMatchObject({
      status: "warning",
      fix: `apt-get install ${NOT_INSTALLED} now, to save deploy time`,
    });
    expect(checkOf(h, "packages", /nepi-no-such-package/)).toMatchObject({
      status: "problem",
      reason: expect.stringContaining("apt knows no package of that name") as string,
    });
  });

  it("a user without passwordless sudo: sudo asks for a password, and a missing package cannot be installed", () => {
    const h = host(report, "plain-user");
    expect(h.ok).toBe(false);
    expect(checkOf(h, "sudo")).toMatchObject({
      status: "problem",
      fix: `add "${plainUser} ALL=(ALL) NOPASSWD: ALL" to /etc/sudoers.d/${plainUser} (with visudo -f)`,
    });
    expect(checkOf(h, "sudo")!.reason).toMatch(new RegExp(`runs with sudo, but sudo asks ${plainUser} for a password`));
    const pkg = checkOf(h, "packages", new RegExp(NOT_INSTALLED))!;
    expect(pkg.status).toBe("problem");
    expect(pkg.reason).toContain(`${plainUser} cannot install it (not root, and no resource that needs it runs with sudo)`);
    expect(pkg.fix).toMatch(new RegExp(`apt-get install ${NOT_INSTALLED} on the host, or set sudo on guid \\d+`));
    expect(checkOf(h, "disk")!.status).toBe("ok");
  });

  it("a shell that never answers is a problem after the command timeout, and nothing of it is left running", async () => {
    const r = await checkHosts(design([{ label: "hang", attributes: { ...nodeAttributes("ssh", sshd), username: hangUser } }]), {
      commandTimeout: 1000,
    });
    const h = host(r, "hang");
    expect(statusOf(h)).toEqual({ reachable: "ok", hostKey: "ok", auth: "ok", shell: "problem" });
    expect(checkOf(h, "shell")).toMatchObject({
      reason: "the shell did not answer within 1 s",
      fix: "check the login shell and its start-up files on the host",
    });
    // The connection is closed: the shell sees the end of its input and exits (pidwait waits on pidfds).
    spawnSync("timeout", ["10", "pidwait", "-u", hangUser]);
    // Exited ones may linger as zombies until sshd reaps them: only a live one is left running.
    const alive = spawnSync("ps", ["-o", "stat=,args=", "-u", hangUser])
      .stdout.toString()
      .split("\n")
      .filter((l) => l.trim() && !l.trim().startsWith("Z"));
    expect(alive).toEqual([]);
  });

  it("refuses a document that is not an experiment, naming the field", async () => {
    await expect(
      checkHosts({ format: "nepi-experiment@1", name: "x", resources: [{ guid: 0, type: "linux::Node" }] }),
    ).rejects.toThrow(/resources\[0\]\.guid/);
  });
});
