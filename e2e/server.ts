import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const serverMain = join(repoRoot, "apps/backend/dist/server/main.js");
const webIndex = join(repoRoot, "apps/web/dist/index.html");

export interface RunningApp {
  url: string;
  dataDir: string;
  /** SIGTERM (the server releases its runs), then the data directory is removed unless kept. */
  stop(): Promise<void>;
  /** SIGKILL: a crash; the data directory stays for a restart. */
  crash(): Promise<void>;
}

export interface StartOptions {
  /** Reuse this data directory (a restart), and keep it when stopping. */
  dataDir?: string;
}

/**
 * Starts `node apps/backend/dist/server/main.js` (what `npm start` runs: the API and the built
 * web app on one port) on a free loopback port with a temporary data directory, and resolves
 * once it answers HTTP. On failure nothing is left running.
 */
export async function startApp(options: StartOptions = {}): Promise<RunningApp> {
  for (const built of [serverMain, webIndex]) {
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first (turbo builds before tests)`);
  }
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "nepi-e2e-"));
  // Port 0: the kernel picks a free port and the server prints the URL it listens on.
  const child = spawn(process.execPath, [serverMain], {
    cwd: repoRoot,
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0", NEPI_DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exit = async (signal: "SIGTERM" | "SIGKILL") => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const stop = async () => {
    await exit("SIGTERM");
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  const crash = () => exit("SIGKILL");
  try {
    const url = await printedUrl(child);
    const res = await fetch(url + "/");
    if (!res.ok) throw new Error(`GET ${url}/ answered ${res.status}`);
    return { url, dataDir, stop, crash };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The URL the server prints once it listens; rejects if it exits or stays silent for 30 s. */
function printedUrl(child: ChildProcess): Promise<string> {
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (process.env.NEPI_E2E_SERVER_LOG) process.stderr.write(chunk);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  return new Promise<string>((resolve, reject) => {
    const onData = () => {
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m && m[1] !== "0") {
        cleanup();
        resolve(m[0]);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`the server exited (code ${code}) before listening:\n${output}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`the server did not print its URL within 30s:\n${output}`));
    }, 30_000);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", onExit);
    onData();
  });
}
