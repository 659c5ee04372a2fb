/**
 * SSH benchmark (`npm run bench:ssh`): NEPI Studio's transport against OpenSSH and the usual
 * fan-out tools, on a private sshd on 127.0.0.1 — as a dedicated unprivileged user with a plain
 * shell, and as root (whose shell start-up, .bashrc included, every new channel pays).
 * Prints figures and ratios; needs root (it creates the user), openssh-server, pssh, ansible.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem, userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ExperimentController, checkHosts, execOnHosts, type ExperimentDocumentInput } from "../node.js";
import { SshTransport } from "../transport/ssh.js";
import { startSshd, type PrivateSshd } from "./sshd.js";

const run = promisify(execFile);
const BENCH_USER = "nepi-bench";
const ensure = fileURLToPath(new URL("../../../../scripts/ensure-system-packages.sh", import.meta.url));

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const fmt = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);

function sshArgs(sshd: PrivateSshd, user: string): string[] {
  return [
    "-i",
    sshd.identity,
    "-p",
    String(sshd.port),
    "-o",
    `UserKnownHostsFile=${sshd.knownHosts}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "LogLevel=ERROR",
    `${user}@${sshd.host}`,
  ];
}

function transport(sshd: PrivateSshd, user: string): SshTransport {
  return new SshTransport({
    host: sshd.host,
    port: sshd.port,
    username: user,
    identity: sshd.identity,
    knownHosts: sshd.knownHosts,
    strictHostKeyChecking: "yes",
  });
}

async function ensureUser(): Promise<void> {
  try {
    execFileSync("id", [BENCH_USER], { stdio: "ignore" });
  } catch {
    execFileSync("useradd", ["--create-home", "--shell", "/bin/sh", BENCH_USER]);
  }
  // No password at all ("*"), rather than a locked one ("!"), which sshd refuses without PAM.
  execFileSync("usermod", ["-p", "*", BENCH_USER]);
}

interface OneHost {
  user: string;
  shell: string;
  nepiSequential: number;
  nepiPipelined: number;
  nepiConnect: number;
  sshPerCommand: number;
  controlMaster: number;
}

async function trueOnOneHost(sshd: PrivateSshd, user: string, n: number): Promise<OneHost> {
  const shell = execFileSync("getent", ["passwd", user]).toString().trim().split(":").pop()!;
  // NEPI Studio: one connection, commands on long-lived shell channels.
  const t = transport(sshd, user);
  let t0 = process.hrtime.bigint();
  await t.connect();
  const nepiConnect = ms(t0);
  // Opens the first shell channel (the shell start-up is paid once) and warms the JIT up.
  for (let i = 0; i < 20; i++) await t.exec("true");
  t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = await t.exec("true");
    if (r.code !== 0) throw new Error("true failed");
  }
  const nepiSequential = ms(t0);
  t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: n }, () => t.exec("true")));
  const nepiPipelined = ms(t0);
  await t.close();

  // ssh per command.
  t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await run("ssh", [...sshArgs(sshd, user), "true"]);
  const sshPerCommand = ms(t0);

  // OpenSSH ControlMaster: one master, then each command on it.
  const dir = await mkdtemp(join(tmpdir(), "nepi-cm-"));
  const sock = join(dir, "cm");
  await run("ssh", ["-M", "-S", sock, "-o", "ControlPersist=yes", "-fN", ...sshArgs(sshd, user)]);
  t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await run("ssh", ["-S", sock, ...sshArgs(sshd, user), "true"]);
  const controlMaster = ms(t0);
  await run("ssh", ["-S", sock, "-O", "exit", ...sshArgs(sshd, user)]).catch(() => {});
  await rm(dir, { recursive: true, force: true });
  return { user, shell, nepiSequential, nepiPipelined, nepiConnect, sshPerCommand, controlMaster };
}

/**
 * Ends the OpenSSH control masters ansible keeps (ControlPersist) behind the sockets in `dir`:
 * their connections close now, while the hosts still exist — a master left to time out after
 * its host was torn down never reaches it, and the host's sshd session stays forever.
 */
async function closeControlMasters(dir: string): Promise<void> {
  const sockets = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(sockets.map((s) => run("ssh", ["-S", join(dir, s), "-O", "exit", "nepi-bench-master"]).catch(() => {})));
}

/** A host of the fan-out case. */
interface Target {
  host: string;
  port: number;
  identity: string;
  knownHosts: string;
}

async function tenHosts(targets: Target[], user: string): Promise<{ nepi: number; pssh: number; ansible: number }> {
  // NEPI Studio: one transport (connection) per host, all in parallel, connect + command + close.
  const t0 = process.hrtime.bigint();
  await Promise.all(
    targets.map(async (h) => {
      const t = new SshTransport({
        host: h.host,
        port: h.port,
        username: user,
        identity: h.identity,
        knownHosts: h.knownHosts,
        strictHostKeyChecking: "yes",
      });
      const r = await t.exec("uname -n");
      if (r.code !== 0) throw new Error("uname failed");
      await t.close();
    }),
  );
  const nepi = ms(t0);

  const { pssh, ansible } = await psshAndAnsible(targets, user, "uname -n");
  return { nepi, pssh, ansible };
}

/** parallel-ssh and `ansible -m raw` running `command` on every target at once (as many forks as hosts). */
async function psshAndAnsible(targets: Target[], user: string, command: string): Promise<{ pssh: number; ansible: number }> {
  return { pssh: await psshOn(targets, user, command), ansible: await ansibleOn(targets, user, command) };
}

/** parallel-ssh with as many parallel ssh processes as hosts; ms. */
async function psshOn(targets: Target[], user: string, command: string): Promise<number> {
  const { identity, knownHosts } = targets[0]!;
  const dir = await mkdtemp(join(tmpdir(), "nepi-fanout-"));
  try {
    const hostsFile = join(dir, "hosts");
    await writeFile(hostsFile, targets.map((h) => `${user}@${h.host}:${h.port}`).join("\n") + "\n");
    const sshOpts = `-i ${identity} -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes -o LogLevel=ERROR`;
    const t0 = process.hrtime.bigint();
    await run("parallel-ssh", ["-h", hostsFile, "-p", String(targets.length), "-x", sshOpts, command]);
    return ms(t0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `ansible -m raw` with as many forks as hosts, its own empty configuration; ms. */
async function ansibleOn(targets: Target[], user: string, command: string): Promise<number> {
  const { identity, knownHosts } = targets[0]!;
  const dir = await mkdtemp(join(tmpdir(), "nepi-fanout-"));
  const inventory = join(dir, "inventory.ini");
  await writeFile(
    inventory,
    targets
      .map(
        (h, i) =>
          `h${i} ansible_host=${h.host} ansible_port=${h.port} ansible_user=${user} ansible_ssh_private_key_file=${identity} ansible_ssh_common_args='-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes'`,
      )
      .join("\n") + "\n",
  );
  // Its own empty configuration, so no ansible.cfg of the machine or the working directory applies.
  await writeFile(join(dir, "ansible.cfg"), "[defaults]\n");
  const env = {
    ...process.env,
    ANSIBLE_HOME: join(dir, "ansible"),
    ANSIBLE_LOCAL_TEMP: join(dir, "tmp"),
    ANSIBLE_CONFIG: join(dir, "ansible.cfg"),
    ANSIBLE_SSH_CONTROL_PATH_DIR: join(dir, "cp"),
  };
  try {
    const t0 = process.hrtime.bigint();
    await run("ansible", ["all", "-i", inventory, "-m", "raw", "-a", command, "-f", String(targets.length)], { env });
    return ms(t0);
  } finally {
    await closeControlMasters(env.ANSIBLE_SSH_CONTROL_PATH_DIR);
    await rm(dir, { recursive: true, force: true });
  }
}

const topology = fileURLToPath(new URL("../../test/fixtures/netns-topology.sh", import.meta.url));
const NETNS_ENV = {
  ...process.env,
  NEPI_NETNS_HOSTS: "10",
  NEPI_NETNS_PREFIX: "nb",
  NEPI_NETNS_NET: "10.253.0",
  NEPI_NETNS_DIR: join(tmpdir(), "nepi-bench-netns"),
};

/** `NEPI_NETNS_HOSTS` hosts in network namespaces, each with its own sshd, or why they cannot be made. */
function namespaceHosts(env: typeof NETNS_ENV = NETNS_ENV): Target[] | string {
  try {
    execFileSync("bash", [topology, "up"], { env, stdio: "pipe" });
  } catch (e) {
    return ((e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message).split("\n")[0]!;
  }
  const dir = env.NEPI_NETNS_DIR;
  return Array.from({ length: Number(env.NEPI_NETNS_HOSTS) }, (_, i) => ({
    host: `${env.NEPI_NETNS_NET}.${i + 1}`,
    port: 22,
    identity: join(dir, "id_ed25519"),
    knownHosts: join(dir, "known_hosts"),
  }));
}

async function thousandApps(
  sshd: PrivateSshd,
  user: string,
  n: number,
): Promise<{ total: number; deploy: number; release: number; perApp: number; peakRssMb: number; collected: number }> {
  const rootDir = await mkdtemp(join(tmpdir(), "nepi-bench-results-"));
  const ec = new ExperimentController({ expId: "ssh-bench", runId: `r${Date.now()}`, rootDir });
  const node = ec.registerResource("linux::Node", {
    hostname: sshd.host,
    port: sshd.port,
    username: user,
    identity: sshd.identity,
    knownHosts: sshd.knownHosts,
    strictHostKeyChecking: "yes",
    cleanExperiment: true,
  });
  const apps: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = ec.registerResource("linux::Application", { command: `echo ${i}` });
    ec.registerConnection(a, node);
    ec.registerTrace(a, "stdout");
    apps.push(a);
  }
  const t0 = process.hrtime.bigint();
  ec.deploy();
  await ec.waitFinished(apps, { timeout: "300s" });
  const deploy = ms(t0);
  const t1 = process.hrtime.bigint();
  await ec.release();
  const release = ms(t1);
  const total = ms(t0);
  let collected = 0;
  for (const [i, a] of apps.entries()) {
    const text = await readFile(join(rootDir, ec.expId, ec.runId, `${a}-Application`, "stdout"), "utf8");
    if (text === `${i}\n`) collected++;
  }
  await rm(rootDir, { recursive: true, force: true });
  return { total, deploy, release, perApp: total / n, peakRssMb: process.resourceUsage().maxRSS / 1024, collected };
}

async function oneHostSection(sshd: PrivateSshd, n: number): Promise<void> {
  console.log(`## ${n} × \`true\` on one host (sequential, each awaited)`);
  const rows: OneHost[] = [];
  for (const user of [BENCH_USER, userInfo().username]) rows.push(await trueOnOneHost(sshd, user, n));
  console.log("| user (shell) | NEPI Studio | NEPI pipelined | ssh per command | OpenSSH ControlMaster | ControlMaster / NEPI |");
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(
      `| ${r.user} (${r.shell}) | ${fmt(r.nepiSequential)} | ${fmt(r.nepiPipelined)} | ${fmt(r.sshPerCommand)} | ${fmt(r.controlMaster)} | ${(r.controlMaster / r.nepiSequential).toFixed(1)}× |`,
    );
  }
  console.log(
    `(NEPI connect + auth: ${rows.map((r) => `${r.user} ${fmt(r.nepiConnect)}`).join(", ")}; target ≥ 10× faster than ControlMaster)\n`,
  );
}

async function fanoutSection(sshd: PrivateSshd): Promise<void> {
  const ns = namespaceHosts();
  const targets: Target[] =
    typeof ns === "string"
      ? Array.from({ length: 10 }, () => ({
          host: sshd.host,
          port: sshd.port,
          identity: sshd.identity,
          knownHosts: sshd.knownHosts,
        }))
      : ns;
  const where =
    typeof ns === "string"
      ? `10 connections to the loopback sshd (no namespaces: ${ns})`
      : "10 hosts in network namespaces, each with its own sshd";
  try {
    console.log(`## one command (\`uname -n\`) on 10 hosts — ${where}; connect, run, close`);
    console.log("| user | NEPI Studio | parallel-ssh | ansible -m raw | pssh / NEPI | ansible / NEPI |");
    console.log("|---|---|---|---|---|---|");
    for (const user of [BENCH_USER, userInfo().username]) {
      const f = await tenHosts(targets, user);
      console.log(
        `| ${user} | ${fmt(f.nepi)} | ${fmt(f.pssh)} | ${fmt(f.ansible)} | ${(f.pssh / f.nepi).toFixed(1)}× | ${(f.ansible / f.nepi).toFixed(1)}× |`,
      );
    }
    console.log("(target ≥ 2× faster than parallel-ssh)\n");
  } finally {
    if (typeof ns !== "string") execFileSync("bash", [topology, "down"], { env: NETNS_ENV, stdio: "pipe" });
  }
}

/** `checkHosts` on a design of 10 hosts, each with a ping and an iperf3 on it: every check, in parallel. */
async function hostCheckSection(sshd: PrivateSshd): Promise<void> {
  const ns = namespaceHosts();
  const targets: Target[] =
    typeof ns === "string"
      ? Array.from({ length: 10 }, () => ({
          host: sshd.host,
          port: sshd.port,
          identity: sshd.identity,
          knownHosts: sshd.knownHosts,
        }))
      : ns;
  const where =
    typeof ns === "string"
      ? `10 connections to the loopback sshd (no namespaces: ${ns})`
      : "10 hosts in network namespaces, each with its own sshd";
  try {
    console.log(`## nepi check: 10 hosts, each with a ping and an iperf3 — ${where}; connect, every check, close`);
    console.log("| user | 10 hosts checked (best of 3) | slowest host | every check ok |");
    console.log("|---|---|---|---|");
    for (const user of [BENCH_USER, userInfo().username]) {
      const resources = targets.flatMap((h, i) => [
        {
          guid: 3 * i + 1,
          type: "linux::Node",
          attributes: {
            hostname: h.host,
            port: h.port,
            username: user,
            identity: h.identity,
            knownHosts: h.knownHosts,
            strictHostKeyChecking: "yes",
          },
        },
        { guid: 3 * i + 2, type: "linux::Ping", attributes: { target: "127.0.0.1" } },
        { guid: 3 * i + 3, type: "linux::Iperf3", attributes: { role: "server" } },
      ]);
      const connections = targets.flatMap((_, i) => [
        { source: 3 * i + 2, target: 3 * i + 1 },
        { source: 3 * i + 3, target: 3 * i + 1 },
      ]);
      const doc = { format: "nepi-experiment@1", name: "bench-check", resources, connections };
      let best = Infinity;
      let slowest = 0;
      let ok = true;
      for (let round = 0; round < 3; round++) {
        const t0 = process.hrtime.bigint();
        const report = await checkHosts(doc);
        const took = ms(t0);
        if (took < best) [best, slowest] = [took, Math.max(...report.hosts.map((h) => h.elapsedMs))];
        ok &&= report.ok;
      }
      console.log(`| ${user} | ${fmt(best)} | ${fmt(slowest)} | ${ok ? "yes" : "NO"} |`);
    }
    console.log("(target: 10 hosts checked in under 2 s)\n");
  } finally {
    if (typeof ns !== "string") execFileSync("bash", [topology, "down"], { env: NETNS_ENV, stdio: "pipe" });
  }
}

/** A design with one `linux::Node` per target, labelled h1, h2…: what `nepi exec` is given. */
function hostsDesign(targets: Target[], user: string): ExperimentDocumentInput {
  return {
    format: "nepi-experiment@1",
    name: "ssh-bench-exec",
    resources: targets.map((h, i) => ({
      guid: i + 1,
      type: "linux::Node",
      label: `h${i + 1}`,
      attributes: {
        hostname: h.host,
        port: h.port,
        username: user,
        identity: h.identity,
        knownHosts: h.knownHosts,
        strictHostKeyChecking: "yes",
      },
    })),
  };
}

/** `nepi exec`'s core (execOnHosts): connect, run, close, every host answered and checked. */
async function execOnAll(targets: Target[], user: string, command: string): Promise<number> {
  const doc = hostsDesign(targets, user);
  const t0 = process.hrtime.bigint();
  const results = await execOnHosts(doc, command);
  const took = ms(t0);
  const failed = results.filter((r) => !r.ok || r.stdout.trim() === "");
  if (failed.length)
    throw new Error(
      `nepi exec failed on ${failed.length} host(s): ${failed
        .slice(0, 3)
        .map((r) => `${r.label}: ${r.error ?? `exit ${r.code}`}`)
        .join("; ")}`,
    );
  return took;
}

/** What a bench left running or in place (it must be nothing): processes naming its hosts or files, its namespaces. */
function leftovers(env: typeof NETNS_ENV): string[] {
  const marks = [`${env.NEPI_NETNS_NET}.`, env.NEPI_NETNS_DIR, "nepi-fanout-"];
  const procs = execFileSync("ps", ["-eo", "pid=,args="])
    .toString()
    .split("\n")
    .filter((l) => marks.some((m) => l.includes(m)) && !l.includes("ps -eo"));
  const namespaces = execFileSync("ip", ["netns", "list"])
    .toString()
    .split("\n")
    .filter((l) => l.startsWith(`${env.NEPI_NETNS_PREFIX}h`) || l.startsWith(`${env.NEPI_NETNS_PREFIX}sw`));
  return [...procs.map((p) => `process ${p.trim()}`), ...namespaces.map((n) => `namespace ${n}`)];
}

/** Best of `rounds` runs of each tool, interleaved, so that a burst of load elsewhere hits them alike. */
async function bestOf(rounds: number, tools: Record<string, () => Promise<number>>): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  for (let i = 0; i < rounds; i++) {
    for (const [name, measure] of Object.entries(tools)) best[name] = Math.min(best[name] ?? Infinity, await measure());
  }
  return best;
}

async function execSection(sizes: number[], rounds: number): Promise<void> {
  console.log(
    `## \`nepi exec\` (execOnHosts): one command (\`uname -n\`) on N namespace hosts, each its own sshd; connect, run, close (best of ${rounds})`,
  );
  console.log("| hosts | user | nepi exec | parallel-ssh | ansible -m raw | pssh / nepi exec | ansible / nepi exec |");
  console.log("|---|---|---|---|---|---|---|");
  for (const n of sizes) {
    const env = {
      ...NETNS_ENV,
      NEPI_NETNS_HOSTS: String(n),
      NEPI_NETNS_PREFIX: "nx",
      NEPI_NETNS_NET: "10.252.0",
      NEPI_NETNS_DIR: join(tmpdir(), "nepi-bench-exec"),
    };
    const targets = namespaceHosts(env);
    if (typeof targets === "string") {
      console.log(`| ${n} | — | no namespaces: ${targets} | | | | |`);
      continue;
    }
    try {
      for (const user of [BENCH_USER, userInfo().username]) {
        const f = await bestOf(rounds, {
          nepi: () => execOnAll(targets, user, "uname -n"),
          pssh: () => psshOn(targets, user, "uname -n"),
          ansible: () => ansibleOn(targets, user, "uname -n"),
        });
        console.log(
          `| ${n} | ${user} | ${fmt(f.nepi!)} | ${fmt(f.pssh!)} | ${fmt(f.ansible!)} | **${(f.pssh! / f.nepi!).toFixed(1)}×** | ${(f.ansible! / f.nepi!).toFixed(1)}× |`,
        );
      }
    } finally {
      // Every connection was closed above (execOnHosts releases its transports, ansible's masters are ended): only then the hosts go.
      execFileSync("bash", [topology, "down"], { env, stdio: "pipe" });
    }
    const left = leftovers(env);
    if (left.length) throw new Error(`the bench left behind:\n${left.join("\n")}`);
  }
  console.log(
    "(target: ≥ 3× faster than parallel-ssh on 100 hosts; left behind after each size: nothing, checked with ps and ip netns)\n",
  );
}

async function appsSection(sshd: PrivateSshd, apps: number): Promise<void> {
  console.log(
    `## 1 linux::Node + ${apps} linux::Application (\`echo $n\`) over SSH as ${BENCH_USER}: deploy → FINISHED → RELEASED, every stdout collected`,
  );
  const r = await thousandApps(sshd, BENCH_USER, apps);
  console.log(
    "| deploy → all FINISHED | release (collect + clean) | total | per application | stdout collected | controller peak RSS |",
  );
  console.log("|---|---|---|---|---|---|");
  console.log(
    `| ${fmt(r.deploy)} | ${fmt(r.release)} | ${fmt(r.total)} | ${fmt(r.perApp)} | ${r.collected}/${apps} | ${r.peakRssMb.toFixed(0)} MB |`,
  );
  console.log("(target: under 20 s)");
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the SSH benchmark needs root (it creates the user nepi-bench)");
  execFileSync("bash", [ensure, "openssh-server", "openssh-client", "pssh", "ansible"], { stdio: "inherit" });
  await ensureUser();
  const sshd = await startSshd();
  // `node ssh-bench.js fanout` runs one part only (one-host, fanout, check, apps, exec); all by default.
  const only = process.argv[2];
  try {
    const machine = `${cpus()[0]?.model ?? "cpu"} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${execFileSync("sh", ["-c", "/usr/sbin/sshd -V 2>&1 | head -1"]).toString().trim()}`;
    console.log(`# SSH benchmark — ${new Date().toISOString().slice(0, 16)}Z — ${machine}\n`);
    if (!only || only === "one-host") await oneHostSection(sshd, 100);
    if (!only || only === "fanout") await fanoutSection(sshd);
    if (!only || only === "check") await hostCheckSection(sshd);
    if (!only || only === "apps") await appsSection(sshd, 1000);
    if (!only || only === "exec") await execSection([10, 100], 3);
  } finally {
    await sshd.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  },
);
