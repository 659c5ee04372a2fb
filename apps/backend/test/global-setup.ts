import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { startPrivatePostgres } from "../src/dev/private-postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The private cluster's URL when the suites run against PostgreSQL (NEPI_TEST_DATABASE=postgres). */
    postgresUrl: string | undefined;
  }
}

/**
 * Process-level tests run `node dist/server/main.js`: build it from the current sources.
 * The access test binds an address inside a network namespace (unshare, ip); the terminal
 * test opens shells over a private sshd. With NEPI_TEST_DATABASE=postgres the suites' stores
 * live in a private PostgreSQL cluster started here and removed after.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const ensure = fileURLToPath(new URL("../../../scripts/ensure-system-packages.sh", import.meta.url));
  execFileSync("bash", [ensure, "iproute2", "util-linux", "openssh-server", "openssh-client"], { stdio: "inherit" });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  if (process.env.NEPI_TEST_DATABASE !== "postgres") {
    project.provide("postgresUrl", undefined);
    return undefined;
  }
  const pg = await startPrivatePostgres();
  project.provide("postgresUrl", pg.url);
  return () => pg.stop();
}
