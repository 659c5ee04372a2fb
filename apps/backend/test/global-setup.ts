import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * Process-level tests run `node dist/server/main.js`: build it from the current sources.
 * The access test binds an address inside a network namespace (unshare, ip); the terminal
 * test opens shells over a private sshd.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const ensure = fileURLToPath(new URL("../../../scripts/ensure-system-packages.sh", import.meta.url));
  execFileSync("bash", [ensure, "iproute2", "util-linux", "openssh-server", "openssh-client"], { stdio: "inherit" });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
}
