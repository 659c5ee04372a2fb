import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A PostgreSQL cluster of its own for tests and benchmarks: never the system service. */
export interface PrivatePostgres {
  /** postgres://… of its `postgres` database, over TCP on 127.0.0.1. */
  url: string;
  port: number;
  /** A connection URL to another database of this cluster. */
  urlOf(database: string): string;
  stop(): Promise<void>;
}

const ENSURE = fileURLToPath(new URL("../../../../scripts/ensure-system-packages.sh", import.meta.url));
/** Postgres refuses to run as root: as root, the cluster belongs to Debian's `postgres` user. */
const OWNER = "postgres";

/** The newest installed server's bin directory (Debian: /usr/lib/postgresql/<major>/bin). */
function serverBinDir(): string | undefined {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return undefined;
  const majors = readdirSync(base)
    .filter((v) => existsSync(join(base, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] && join(base, majors[0], "bin");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Installs Debian's `postgresql` when no server is installed, then `initdb`s a cluster in a
 * temporary directory (trust authentication: it listens on 127.0.0.1 and its own socket
 * directory only), starts it on a free port with pg_ctl, and returns how to reach and stop it.
 * `stop()` ends the server and removes the directory.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  if (!serverBinDir()) await run("bash", [ENSURE, "postgresql"]);
  const bin = serverBinDir();
  if (!bin) throw new Error("PostgreSQL is not installed and could not be installed (apt-get install postgresql)");
  const dir = mkdtempSync(join(tmpdir(), "nepi-pg-"));
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot
    ? await run("id", ["-u", OWNER]).then(
        (r) => Number(r.stdout),
        () => undefined,
      )
    : undefined;
  if (asRoot && owner === undefined) throw new Error(`running as root, PostgreSQL needs the "${OWNER}" user to own its cluster`);
  if (owner !== undefined) chownSync(dir, owner, Number((await run("id", ["-g", OWNER])).stdout));
  const as = (cmd: string, args: string[]) =>
    owner !== undefined ? run("runuser", ["-u", OWNER, "--", join(bin, cmd), ...args]) : run(join(bin, cmd), args);
  const data = join(dir, "data");
  try {
    await as("initdb", ["-D", data, "-U", "nepi", "-A", "trust", "-E", "UTF8", "--no-sync"]);
    const port = await freePort();
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    await as("pg_ctl", ["-D", data, "-l", join(dir, "server.log"), "-o", options, "-w", "-s", "start"]);
    const urlOf = (database: string) => `postgres://nepi@127.0.0.1:${port}/${database}`;
    let stopped: Promise<void> | undefined;
    return {
      url: urlOf("postgres"),
      port,
      urlOf,
      stop: () =>
        (stopped ??= as("pg_ctl", ["-D", data, "-m", "immediate", "-w", "-s", "stop"]).then(
          () => rmSync(dir, { recursive: true, force: true }),
          (err: Error) => {
            rmSync(dir, { recursive: true, force: true });
            throw err;
          },
        )),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot start a private PostgreSQL: ${(err as Error).message}`, { cause: err });
  }
}
