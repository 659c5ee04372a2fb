import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startApp } from "./server.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/**
 * Makes sure Chromium, ping, iperf3 and pgrep exist, then starts the real app on a free loopback port with a
 * fresh data directory. Tests find it in NEPI_E2E_URL; the returned function stops it.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  execFileSync("bash", [`${repoRoot}/scripts/ensure-system-packages.sh`, "chromium", "iputils-ping", "iperf3", "procps"], {
    stdio: "inherit",
  });
  // Screenshots of this run only: none left over from an earlier one.
  if (!process.env.NEPI_E2E_KEEP_ARTIFACTS) rmSync(new URL("./artifacts/", import.meta.url), { recursive: true, force: true });
  const app = await startApp();
  process.env.NEPI_E2E_URL = app.url;
  return () => app.stop();
}
