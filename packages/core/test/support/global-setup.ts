import { execFile } from "node:child_process";
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

export async function setup(project: TestProject): Promise<void> {
  await run("bash", [ensure, "openssh-server", "openssh-client", "iputils-ping", "traceroute", "tcpdump", "iperf3", "iproute2", "procps"], { timeout: 600_000 });
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
}
