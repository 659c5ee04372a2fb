import { execFile } from "node:child_process";
import { readdir, rm, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { startSshd, type PrivateSshd } from "../../src/bench/sshd.js";

const run = promisify(execFile);
const ensure = fileURLToPath(new URL("../../../../scripts/ensure-system-packages.sh", import.meta.url));

/** What the Linux tests get through `inject("sshd")`. */
export interface SshdInfo {
  host: string;
  port: number;
  user: string;
  identity: string;
  knownHosts: string;
  hostKey: string;
  dir: string;
  pid: number;
}

declare module "vitest" {
  export interface ProvidedContext {
    sshd: SshdInfo;
  }
}

let sshd: PrivateSshd | undefined;
let startedAt = 0;

export async function setup(project: TestProject): Promise<void> {
  await run(
    "bash",
    [
      ensure,
      "openssh-server",
      "openssh-client",
      "iputils-ping",
      "traceroute",
      "tcpdump",
      "iperf3",
      "mtr-tiny",
      "iproute2",
      "procps",
      "nftables",
    ],
    { timeout: 600_000 },
  );
  startedAt = Date.now();
  sshd = await startSshd();
  project.provide("sshd", {
    host: sshd.host,
    port: sshd.port,
    user: process.env.USER || "root",
    identity: sshd.identity,
    knownHosts: sshd.knownHosts,
    hostKey: sshd.hostKey,
    dir: sshd.dir,
    pid: sshd.pid,
  });
}

export async function teardown(): Promise<void> {
  await sshd?.stop();
  // The tests' runs on this host: their experiments are named test-*, and the CLI test runs one
  // shipped example; remove only what this session made.
  const root = join(homedir(), ".nepi");
  for (const exp of await readdir(root).catch(() => [] as string[])) {
    if (exp.startsWith("test-")) await rm(join(root, exp), { recursive: true, force: true });
  }
  await rm(join(root, "usr", "bin", "nepi-greet-test"), { force: true }); // installed by tools.test.ts
  const example = join(root, "two-apps-start-condition");
  for (const run of await readdir(example).catch(() => [] as string[])) {
    const st = await stat(join(example, run)).catch(() => undefined);
    if (st && st.birthtimeMs >= startedAt) await rm(join(example, run), { recursive: true, force: true });
  }
}
