import { readFile, mkdtemp, writeFile, mkdir } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SshTransport } from "../../src/transport/ssh.js";
import { LocalTransport } from "../../src/transport/local.js";
import { FileFollower, ExitEvents } from "../../src/transport/follower.js";
import { SshSetupError, type Transport } from "../../src/transport/types.js";
import { shq } from "../../src/transport/quote.js";

const sshd = inject("sshd");
const user = userInfo().username;

function ssh(extra: Partial<ConstructorParameters<typeof SshTransport>[0]> = {}): SshTransport {
  return new SshTransport({
    host: sshd.host,
    port: sshd.port,
    username: user,
    identity: sshd.identity,
    knownHosts: sshd.knownHosts,
    strictHostKeyChecking: "yes",
    ...extra,
  });
}

/** Resolves when `predicate` holds on the text followed so far. */
function collect(): { text: () => string; until: (p: (t: string) => boolean) => Promise<void>; push: (t: string) => void } {
  let acc = "";
  const waiters: Array<{ p: (t: string) => boolean; r: () => void }> = [];
  return {
    text: () => acc,
    push(t) {
      acc += t;
      for (const w of [...waiters])
        if (w.p(acc)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.r();
        }
    },
    until(p) {
      return p(acc) ? Promise.resolve() : new Promise((r) => waiters.push({ p, r }));
    },
  };
}

for (const kind of ["ssh", "local"] as const) {
  describe(`${kind} transport`, () => {
    let t: Transport;
    let dir: string;
    beforeAll(async () => {
      t = kind === "ssh" ? ssh() : new LocalTransport();
      await t.connect();
      dir = await mkdtemp(join(tmpdir(), `nepi-tr-${kind}-`));
    });
    afterAll(async () => t.close());

    it("runs scripts with their stdout, stderr and exit code kept apart", async () => {
      const r = await t.exec("echo out; echo err >&2; exit 3");
      expect(r).toEqual({ stdout: "out\n", stderr: "err\n", code: 3 });
      const n = await t.exec("printf 'no newline'");
      expect(n.stdout).toBe("no newline");
    });

    it("keeps a script's text intact whatever it contains, and `exit` cannot end the channel", async () => {
      const hostile = `a'b"c $(touch ${dir}/pwned) ; \`id\` \n second line \\ end`;
      const r = await t.exec(`printf '%s' ${shq(hostile)}`);
      expect(r.stdout).toBe(hostile);
      expect((await t.exec("exit 7")).code).toBe(7);
      expect((await t.exec("echo still here")).stdout).toBe("still here\n");
      await expect(readFile(join(dir, "pwned"))).rejects.toThrow();
    });

    it("pipelines many scripts and returns each its own output", async () => {
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => t.exec(`echo ${i}; echo e${i} >&2`)));
      results.forEach((r, i) => {
        expect(r.stdout).toBe(`${i}\n`);
        expect(r.stderr).toBe(`e${i}\n`);
      });
    });

    it("writes, reads, sizes, uploads and downloads files", async () => {
      const f = join(dir, "f.txt");
      await t.writeFile(f, "hello world");
      expect((await t.readFile(f)).toString()).toBe("hello world");
      expect(await t.size(f)).toBe(11);
      expect(await t.size(join(dir, "missing"))).toBe(-1);
      expect((await t.readRange(f, 6, 100)).toString()).toBe("world");
      const local = await mkdtemp(join(tmpdir(), "nepi-up-"));
      await mkdir(join(local, "sub"));
      await writeFile(join(local, "sub", "a.txt"), "A");
      await t.upload(local, join(dir, "up"));
      expect((await t.exec(`cat ${shq(join(dir, "up", "sub", "a.txt"))}`)).stdout).toBe("A");
      await t.download(f, join(local, "back.txt"));
      expect(await readFile(join(local, "back.txt"), "utf8")).toBe("hello world");
    });

    it("follows a file as it grows, from an offset, and reports exits pushed by the host", async () => {
      const f = join(dir, "grow.log");
      await t.writeFile(f, "0123");
      const c = collect();
      const follower = new FileFollower(t, f, 2, (text) => c.push(text));
      await c.until((s) => s === "23");
      await t.exec(`echo more >> ${shq(f)}`);
      await c.until((s) => s === "23more\n");
      follower.close();

      const events = join(dir, "events");
      await t.writeFile(events, "");
      const ex = new ExitEvents(t, events);
      const seen = new Promise<number>((resolve) => ex.listen(42, resolve));
      await t.exec(`echo '41 0' >> ${shq(events)}; echo '42 5' >> ${shq(events)}`);
      expect(await seen).toBe(5);
      // An exit that came before anyone listened is not lost.
      expect(await new Promise<number>((resolve) => ex.listen(41, resolve))).toBe(0);
      ex.close();
    });
  });
}

describe("password authentication (a credential)", () => {
  const user = `nepipw${process.pid % 10000}`;
  const password = `pw-${Math.random().toString(36).slice(2)}'"$x`;
  let server: Awaited<ReturnType<typeof import("../../src/bench/sshd.js").startSshd>>;
  beforeAll(async () => {
    const { execFileSync } = await import("node:child_process");
    execFileSync("useradd", ["--create-home", "--shell", "/bin/sh", user]);
    execFileSync("chpasswd", [], { input: `${user}:${password}\n` });
    const { startSshd } = await import("../../src/bench/sshd.js");
    server = await startSshd({ passwordAuthentication: true });
  });
  afterAll(async () => {
    await server?.stop();
    const { execFileSync } = await import("node:child_process");
    // --force: the sshd session of the last login may still be exiting (userdel would refuse, exit 8).
    execFileSync("userdel", ["--force", "--remove", user], { stdio: "ignore" });
  });

  it("logs in with the password, and a wrong one fails without showing it", async () => {
    const env = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
    try {
      const opts = {
        host: server.host,
        port: server.port,
        username: user,
        knownHosts: server.knownHosts,
        strictHostKeyChecking: "yes" as const,
      };
      const good = new SshTransport({ ...opts, password });
      expect((await good.exec("id -un")).stdout).toBe(`${user}\n`);
      await good.close();
      const bad = new SshTransport({ ...opts, password: password + "x" });
      const err = (await bad.connect().then(
        () => undefined,
        (e: unknown) => e,
      )) as SshSetupError;
      expect(err.kind).toBe("auth");
      expect(err.message).toMatch(/authentication failed \(user nepipw\d+, tried password\)/);
      expect(err.message).not.toContain(password);
      await bad.close();
    } finally {
      if (env) process.env.SSH_AUTH_SOCK = env;
    }
  });

  it("runs as that unprivileged user in its home, and says which packages are missing when it may not install them", async () => {
    const { newController } = await import("../support/linux.js");
    const ec = newController("pwuser");
    try {
      const node = ec.registerResource("linux::Node", {
        hostname: server.host,
        port: server.port,
        username: user,
        password,
        knownHosts: server.knownHosts,
        strictHostKeyChecking: "yes",
      });
      const app = ec.registerResource("linux::Application", { command: 'id -un; echo "$APP_HOME"' });
      const needs = ec.registerResource("linux::Application", {
        command: "true",
        depends: "iputils-ping nepi-absent-package",
        critical: false,
      });
      ec.registerConnection(app, node);
      ec.registerConnection(needs, node);
      ec.deploy();
      await ec.waitFinished(app, { timeout: "30s" });
      expect(await ec.trace(app, "stdout")).toBe(`${user}\n/home/${user}/.nepi/${ec.expId}/${ec.runId}/${app}\n`);
      await expect(ec.waitDeployed(needs, { timeout: "30s" })).rejects.toThrow();
      expect(ec.failure(needs)).toMatch(/packages missing: nepi-absent-package \(set sudo to install them/);
    } finally {
      await ec.shutdown();
    }
  });
});

describe("ssh transport failures", () => {
  it("fails with a clear authentication error for a wrong key", async () => {
    const other = join(await mkdtemp(join(tmpdir(), "nepi-key-")), "wrong");
    const { execFileSync } = await import("node:child_process");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
    const env = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
    const t = ssh({ identity: other });
    try {
      const err = await t.connect().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SshSetupError);
      expect((err as SshSetupError).kind).toBe("auth");
      expect((err as Error).message).toMatch(new RegExp(`authentication failed .*key ${other}`));
      expect(t.connections).toBe(0);
    } finally {
      if (env) process.env.SSH_AUTH_SOCK = env;
      await t.close();
    }
  });

  it("refuses an unknown host key under strictHostKeyChecking=yes, naming its fingerprint", async () => {
    const empty = join(await mkdtemp(join(tmpdir(), "nepi-kh-")), "known_hosts");
    const t = ssh({ knownHosts: empty });
    const err = (await t.connect().then(
      () => undefined,
      (e: unknown) => e,
    )) as SshSetupError;
    expect(err.kind).toBe("hostkey");
    const { execFileSync } = await import("node:child_process");
    const fp = execFileSync("ssh-keygen", ["-lf", join(sshd.dir, "host_ed25519.pub")])
      .toString()
      .split(" ")[1]!;
    expect(err.message).toContain(fp);
    expect(err.message).toContain("unknown host key");
    await t.close();
  });

  it("records a new host key under accept-new, then refuses a changed one", async () => {
    const kh = join(await mkdtemp(join(tmpdir(), "nepi-kh-")), "known_hosts");
    const t = ssh({ knownHosts: kh, strictHostKeyChecking: "accept-new" });
    await t.connect();
    await t.close();
    expect(await readFile(kh, "utf8")).toBe(`[${sshd.host}]:${sshd.port} ${sshd.hostKey}\n`);
    // The same name now with another key: a changed key is refused even under accept-new.
    const fake = sshd.hostKey.replace(/.{8}$/, "AAAAAAAA");
    await writeFile(kh, `[${sshd.host}]:${sshd.port} ${fake}\n`);
    const t2 = ssh({ knownHosts: kh, strictHostKeyChecking: "accept-new" });
    const err = (await t2.connect().then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(err.message).toMatch(/CHANGED.*SHA256:/);
    await t2.close();
    // …and accepted under `no`.
    const t3 = ssh({ knownHosts: kh, strictHostKeyChecking: "no" });
    await t3.connect();
    await t3.close();
  });

  it("recognises hashed known_hosts entries (ssh-keygen -H)", async () => {
    const kh = join(await mkdtemp(join(tmpdir(), "nepi-kh-")), "known_hosts");
    await writeFile(
      kh,
      `# a comment\nother.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n[${sshd.host}]:${sshd.port} ${sshd.hostKey}\n`,
    );
    const { execFileSync } = await import("node:child_process");
    execFileSync("ssh-keygen", ["-H", "-f", kh], { stdio: "ignore" });
    expect(await readFile(kh, "utf8")).not.toContain(sshd.host);
    const t = ssh({ knownHosts: kh });
    expect((await t.exec("echo ok")).stdout).toBe("ok\n");
    await t.close();
  });

  it("retries a refused connection with backoff, then reports it", async () => {
    const { freePort } = await import("../../src/bench/sshd.js");
    const t = ssh({ port: await freePort(), attempts: 3 });
    const err = (await t.connect().then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(err.message).toMatch(/cannot connect after 3 attempt\(s\).*ECONNREFUSED/);
    await t.close();
  });

  it("gives up on a server that never answers the handshake after the connect timeout", async () => {
    const { createServer } = await import("node:net");
    const sockets: Array<import("node:net").Socket> = [];
    const silent = createServer((sock) => sockets.push(sock));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    const t = ssh({ port, connectTimeout: 300, attempts: 2 });
    const err = (await t.connect().then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(err.message).toMatch(/cannot connect after 2 attempt\(s\): Timed out while waiting for handshake/);
    expect(sockets.length).toBe(2);
    await t.close();
    for (const s of sockets) s.destroy();
    silent.close();
  });

  it("reaches a host through a gateway (jump host)", async () => {
    const t = ssh({ gateway: `${sshd.host}:${sshd.port}`, host: "127.0.0.1" });
    const r = await t.exec("echo $SSH_CONNECTION");
    // Through the jump host, the target sees the connection come from the gateway (127.0.0.1).
    expect(r.stdout).toMatch(/^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+/);
    await t.close();
  });

  it("queues channel opens beyond MaxSessions instead of failing", async () => {
    const t = ssh();
    const handles: Array<{ close(): void }> = [];
    const cs = Array.from({ length: 14 }, () => collect());
    for (const c of cs) handles.push(t.stream("echo up; cat >/dev/null", { data: (b) => c.push(b.toString()), end: () => {} }));
    await Promise.all(cs.slice(0, 9).map((c) => c.until((s) => s === "up\n")));
    // Free slots: the queued ones open once earlier channels close.
    for (const h of handles.slice(0, 9)) h.close();
    await Promise.all(cs.map((c) => c.until((s) => s === "up\n")));
    for (const h of handles) h.close();
    await t.close();
  });
});
