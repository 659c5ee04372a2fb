import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freshPostgresDatabase, testDatabase } from "./helpers.js";

const MAIN = fileURLToPath(new URL("../dist/server/main.js", import.meta.url));

export interface ServerProcess {
  proc: ChildProcess;
  url: string;
  /** Every line the server printed so far (stdout and stderr). */
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The PostgreSQL database of each data directory (suites run against PostgreSQL): a restart finds its store. */
const databases = new Map<string, string>();

/**
 * Runs `node dist/server/main.js` (what `npm start` runs) with its own data dir on a free port
 * (and its own PostgreSQL database, the same for the same data dir, when the suites run on one).
 */
export async function spawnServer(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  let databaseUrl = databases.get(dataDir);
  if (!databaseUrl && testDatabase === "postgres") databases.set(dataDir, (databaseUrl = await freshPostgresDatabase()));
  const proc = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      NEPI_DATA_DIR: dataDir,
      ...(databaseUrl ? { NEPI_DATABASE_URL: databaseUrl } : {}),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = "";
    const onData = (data: Buffer) => {
      buffered += data.toString("utf8");
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        const m = /listening on (http:\/\/\S+?\/)(\?token=\S+)?$/.exec(messageOf(line));
        if (m) resolve(m[1]!);
      }
    };
    proc.stdout!.on("data", onData);
    proc.stderr!.on("data", onData);
    void exited.then(({ code }) => reject(new Error(`server exited (${code}) before listening:\n${lines.join("\n")}`)));
  });
  return { proc, url, lines, exited };
}

/** The message of a log line: the server writes one JSON object per line (pino's `msg`). */
export function messageOf(line: string): string {
  try {
    const parsed = JSON.parse(line) as { msg?: unknown };
    return typeof parsed.msg === "string" ? parsed.msg : line;
  } catch {
    return line;
  }
}
