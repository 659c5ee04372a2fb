import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { ExperimentController } from "../../src/node.js";

/** How the tests reach a host: the private sshd, or the local machine. */
export type HostKind = "ssh" | "local";

export function nodeAttributes(kind: HostKind, sshd = inject("sshd")): Record<string, string | number> {
  if (kind === "local") return { hostname: "localhost" };
  return {
    hostname: sshd.host,
    port: sshd.port,
    username: userInfo().username,
    identity: sshd.identity,
    knownHosts: sshd.knownHosts,
    strictHostKeyChecking: "yes",
  };
}

let runs = 0;
/** A controller whose results go to a fresh temporary directory. */
export function newController(name: string): ExperimentController {
  const rootDir = mkdtempSync(join(tmpdir(), "nepi-results-"));
  return new ExperimentController({ expId: `test-${name}`, runId: `r${process.pid}-${++runs}-${Date.now()}`, rootDir });
}

/** Command lines of the processes running on this machine now (the sshd is local too). */
export function processes(): string[] {
  return execFileSync("ps", ["-eo", "args="]).toString().split("\n");
}
