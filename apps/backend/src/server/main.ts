import { startServer } from "./start.js";
import { stdoutLogger } from "./log.js";

/**
 * `npm start`: the server on HOST:PORT (default 127.0.0.1:7070) with its data in NEPI_DATA_DIR
 * (default ./data), its store there too (SQLite) or in NEPI_DATABASE_URL (PostgreSQL). SIGINT/SIGTERM stop and release every active run before exiting.
 */
const log = stdoutLogger();
const port = process.env.PORT ? Number(process.env.PORT) : 7070;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT: expected a port number (0-65535), got "${process.env.PORT}"`);
  process.exit(2);
}

const server = await startServer({
  host: process.env.HOST || "127.0.0.1",
  port,
  dataDir: process.env.NEPI_DATA_DIR || "data",
  ...(process.env.NEPI_DATABASE_URL ? { databaseUrl: process.env.NEPI_DATABASE_URL } : {}),
  ...(process.env.NEPI_TOKEN ? { token: process.env.NEPI_TOKEN } : {}),
  ...(process.env.NEPI_WEB_DIR ? { webDir: process.env.NEPI_WEB_DIR } : {}),
  log,
}).catch((err: Error) => {
  console.error(`nepi: cannot start the server: ${err.message}`);
  process.exit(1);
});

const shown = server.token && !process.env.NEPI_TOKEN ? `${server.url}?token=${server.token}` : server.url;
log(`NEPI Studio is listening on ${shown}`);
if (server.token && !process.env.NEPI_TOKEN) log(`API token (send as "Authorization: Bearer <token>"): ${server.token}`);

let signals = 0;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (++signals > 1) {
      log(`${sig} again: exiting now`);
      process.exit(130);
    }
    log(`${sig}: stopping and releasing every active run…`);
    server.close().then(
      () => {
        log("stopped");
        process.exit(0);
      },
      (err: Error) => {
        log(`shutdown failed: ${err.message}`);
        process.exit(1);
      },
    );
  });
}
