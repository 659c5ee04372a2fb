import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
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
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1, as the kernel hands one out. */
async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  const address = srv.address();
  srv.close();
  await once(srv, "close");
  if (address === null || typeof address === "string") throw new Error("no port from the kernel");
  return address.port;
}

/**
 * Starts `node apps/backend/dist/server/main.js` (the same server `npm start` runs, serving the
 * built web app and the API) on a free port with a temporary data directory, and resolves once
 * it answers HTTP.
 */
export async function startApp(): Promise<RunningApp> {
  for (const built of [serverMain, webIndex]) {
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first (turbo builds before tests)`);
  }
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "nepi-e2e-"));
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [serverMain], {
    cwd: repoRoot,
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), NEPI_DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (process.env.NEPI_E2E_SERVER_LOG) process.stderr.write(chunk);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);

  // Ready when it prints its URL (it does so once listening); fail fast if it exits first.
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (output.includes(`127.0.0.1:${port}`)) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`the server exited (code ${code}) before listening:\n${output}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`the server did not print ${url} within 30s:\n${output}`));
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
  const res = await fetch(url + "/");
  if (!res.ok) throw new Error(`GET ${url}/ answered ${res.status}`);

  return {
    url,
    dataDir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
