import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pipeline, type Duplex } from "node:stream";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { nodeHTTPRequestHandler } from "@trpc/server/adapters/node-http";
import { applyWSSHandler } from "@trpc/server/adapters/ws";
import sirv from "sirv";
import { WebSocketServer, type WebSocket } from "ws";
import { TERMINAL_PATH } from "@nepi/core";
import { loadNodeResources } from "./engine.js";
import { appRouter } from "../router/index.js";
import type { Context, Services } from "../router/context.js";
import { OpenStreams } from "../router/streams.js";
import { missingRunFiles, runBundleStream } from "../runs/bundle.js";
import { RunManager } from "../runs/run-manager.js";
import { CampaignManager } from "../campaigns/campaign-manager.js";
import { CampaignStore } from "../store/campaign-store.js";
import { sendCampaignFile } from "./campaign-files.js";
import { AccessPolicy, isLoopback, TOKEN_COOKIE } from "../security/access.js";
import { setSecurityHeaders } from "../security/headers.js";
import PgBoss from "pg-boss";
import { CHANNELS, Notifications } from "../cluster/notifications.js";
import { createQueues } from "../cluster/queues.js";
import { RemoteCampaigns } from "../cluster/remote-campaigns.js";
import { RemoteRuns } from "../cluster/remote-runs.js";
import { openDatabase } from "../store/db.js";
import { Store } from "../store/store.js";
import { stdoutLogger, type Logger } from "./log.js";
import { cutWhenTooFarBehind, httpConnection, socketOf, wsConnection, type ConnectionLimits } from "./connections.js";
import { decodeComponent, requestTarget } from "./request-target.js";
import { seedExamples } from "./seed.js";
import { createTerminals } from "./terminal.js";
import { jsonEncoderSharingEvents } from "./ws-encoder.js";

export interface StartOptions {
  /** Bind address (default 127.0.0.1). Any non-loopback address requires a token. */
  host?: string;
  /** Port (default 7070; 0 picks a free one). */
  port?: number;
  /** Where the store and the runs' files live (default ./data). */
  dataDir?: string;
  /**
   * The store in PostgreSQL (postgres://…) instead of `<dataDir>/nepi.db`; the runs' files
   * stay under `dataDir`.
   */
  databaseUrl?: string;
  /**
   * The runs are kept by `nepi worker`s (needs `databaseUrl`): this server queues them and
   * relays their events and controls, and runs no controller itself (stateless).
   */
  runsOnWorkers?: boolean;
  /** Token every request must present; generated when bound off loopback without one. */
  token?: string;
  log?: Logger;
  /** The built web app to serve (default apps/web/dist); none served when missing. */
  webDir?: string;
  /** Experiments stored on first start (default the repository's examples/). */
  examplesDir?: string | null;
  /** Largest HTTP body or WebSocket message, in bytes (default 16 MiB). */
  maxBodyBytes?: number;
  /** Subscriptions one WebSocket connection may hold at once (default 64). */
  maxSubscriptionsPerConnection?: number;
  /** Bytes queued for a WebSocket client that does not read before it is cut (default 16 MiB). */
  maxBufferedBytes?: number;
}

export interface RunningServer {
  /** http://host:port/ */
  url: string;
  port: number;
  /** The token clients must present, when one is required. */
  token: string | undefined;
  /** Stops accepting work, stops and releases every active run, then closes everything. */
  close(): Promise<void>;
}

const HERE = fileURLToPath(new URL(".", import.meta.url));
/** apps/backend/{src,dist}/server → the repository root. */
const REPO_ROOT = resolve(HERE, "../../../..");

/**
 * Starts the NEPI Studio server: the tRPC API at /trpc (HTTP for queries and mutations;
 * subscriptions over WebSocket at ws://host:port/trpc, or over SSE with HTTP GET) and the built
 * web app on the same port (static files, unknown paths fall back to index.html).
 */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 7070;
  const dataDir = resolve(options.dataDir ?? "data");
  const log = options.log ?? stdoutLogger();
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const loopback = isLoopback(host);
  const token = options.token ?? (loopback ? undefined : randomBytes(24).toString("base64url"));
  const access = new AccessPolicy(token, loopback);

  await loadNodeResources(log);
  if (options.runsOnWorkers && !options.databaseUrl)
    throw new Error("runs kept by workers need a PostgreSQL database (--database)");
  const store = new Store(await openDatabase({ dataDir, url: options.databaseUrl }));
  let cluster: Cluster | undefined;
  try {
    cluster = options.runsOnWorkers ? await joinCluster(options.databaseUrl!, store, log) : undefined;
  } catch (err) {
    await store.close();
    throw err;
  }
  const runs = new RunManager(store, join(dataDir, "runs"), log, cluster?.runs);
  const campaigns = new CampaignManager(
    new CampaignStore(store.database),
    store,
    runs,
    join(dataDir, "runs"),
    log,
    cluster ? { elsewhere: cluster.campaigns } : {},
  );
  try {
    // The workers' runs are theirs to recover; an API server of theirs has none.
    if (!cluster) {
      await runs.recoverInterrupted();
      await campaigns.recoverInterrupted();
    }
    const examplesDir = options.examplesDir === undefined ? join(REPO_ROOT, "examples") : options.examplesDir;
    if (examplesDir) await seedExamples(store, examplesDir, log);
  } catch (err) {
    await cluster?.close();
    await store.close();
    throw err;
  }
  const streams = new OpenStreams();
  const services: Services = { store, runs, campaigns, log, streams };
  const limits: ConnectionLimits = {
    maxSubscriptions: options.maxSubscriptionsPerConnection ?? 64,
    maxBufferedBytes: options.maxBufferedBytes ?? 16 * 1024 * 1024,
  };

  const webDir = options.webDir ?? join(REPO_ROOT, "apps/web/dist");
  const serveWeb = existsSync(join(webDir, "index.html")) ? sirv(webDir, { single: true, etag: true, gzip: false }) : undefined;

  const handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    setSecurityHeaders(res);
    const url = requestTarget(req.url);
    if (!url) return reply(res, 400, "malformed request target");
    const refused = access.check(req);
    if (refused) return reply(res, refused.status, refused.message);
    if (url.pathname === "/trpc" || url.pathname.startsWith("/trpc/")) {
      nodeHTTPRequestHandler({
        router: appRouter,
        createContext: (): Context => ({ ...services, connection: httpConnection(res) }),
        req,
        res,
        path: url.pathname.slice("/trpc/".length),
        maxBodySize: maxBodyBytes,
        onError: ({ error, path }) => {
          if (error.code === "INTERNAL_SERVER_ERROR")
            log(`error in ${path ?? "?"}: ${error.message}`, { level: "error", procedure: path });
        },
      }).catch((err: unknown) => failed(res, err));
      return;
    }
    const download = /^\/files\/runs\/([^/]+)\/traces\/(\d+)\/([^/]+)$/.exec(url.pathname);
    if (download && (req.method === "GET" || req.method === "HEAD")) {
      const runId = decodeComponent(download[1]!);
      const name = decodeComponent(download[3]!);
      if (runId === undefined || name === undefined) return reply(res, 400, "malformed percent-encoding in the path");
      sendTrace(store, res, runId, Number(download[2]), name, log).catch((err: unknown) => failed(res, err));
      return;
    }
    const bundle = /^\/files\/runs\/([^/]+)\/bundle\.tar\.gz$/.exec(url.pathname);
    if (bundle && (req.method === "GET" || req.method === "HEAD")) {
      const runId = decodeComponent(bundle[1]!);
      if (runId === undefined) return reply(res, 400, "malformed percent-encoding in the path");
      sendBundle(runs, res, runId, req.method === "HEAD").catch((err: unknown) => failed(res, err));
      return;
    }
    const campaignFile = /^\/files\/campaigns\/([^/]+)\/(runs|summary)\.(csv|json)$/.exec(url.pathname);
    if (campaignFile && (req.method === "GET" || req.method === "HEAD")) {
      const campaignId = decodeComponent(campaignFile[1]!);
      if (campaignId === undefined) return reply(res, 400, "malformed percent-encoding in the path");
      const file = `${campaignFile[2]!}.${campaignFile[3]!}`;
      sendCampaignFile(campaigns, res, campaignId, file, req.method === "HEAD", reply).catch((err: unknown) => failed(res, err));
      return;
    }
    // A browser opened /?token=…: keep the token in a cookie and drop it from the address bar.
    if (token !== undefined && url.searchParams.has("token")) {
      url.searchParams.delete("token");
      res.setHeader("Set-Cookie", `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
      // One leading slash: `//host/?token=…` must not redirect to another site.
      res.writeHead(303, { Location: url.pathname.replace(/^\/+/, "/") + url.search }).end();
      return;
    }
    if (serveWeb) return serveWeb(req, res, () => reply(res, 404, "not found"));
    reply(res, 404, "The web app is not built (npm run build -w @nepi/web); the API is at /trpc.");
  };
  /** A bug in a request's path answers that request with a 500; the server goes on. */
  const failed = (res: ServerResponse, err: unknown): void => {
    log(`request failed: ${(err as Error).message}`, { level: "error", err });
    if (res.headersSent) res.destroy();
    else reply(res, 500, "internal error");
  };
  const server = createServer((req, res) => {
    try {
      handleRequest(req, res);
    } catch (err) {
      failed(res, err);
    }
  });
  // Requests must arrive promptly: a slow or stuck client cannot hold a socket for ever.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBodyBytes });
  wss.on("connection", (ws: WebSocket) => {
    coalesceWrites(ws);
    cutWhenTooFarBehind(ws, limits.maxBufferedBytes, log);
  });
  applyWSSHandler({
    wss,
    router: appRouter,
    createContext: ({ res }): Context => ({ ...services, connection: wsConnection(res, limits) }),
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 10_000 },
    experimental_encoder: jsonEncoderSharingEvents,
  });
  const terminals = createTerminals(store, log);
  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = requestTarget(req.url);
    const known = url?.pathname === "/trpc" || url?.pathname === TERMINAL_PATH;
    const refused = !url
      ? { status: 400, message: "malformed request target" }
      : known
        ? access.check(req)
        : { status: 404, message: "not found" };
    if (refused) return refuseUpgrade(socket, refused.status, refused.message);
    if (url!.pathname === TERMINAL_PATH) return terminals.handleUpgrade(req, socket, head, url!.searchParams);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  };
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Until ws takes the socket over, a reset by the client must not become an uncaught error.
    socket.on("error", () => socket.destroy());
    try {
      handleUpgrade(req, socket, head);
    } catch (err) {
      log(`upgrade failed: ${(err as Error).message}`, { level: "error", err });
      refuseUpgrade(socket, 500, "internal error");
    }
  });

  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolveListen();
      });
    });
  } catch (err) {
    await cluster?.close();
    await store.close();
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "EADDRINUSE"
        ? "the port is in use (set PORT)"
        : code === "EADDRNOTAVAIL"
          ? "no such address here (set HOST)"
          : (err as Error).message;
    throw new Error(`cannot listen on ${host}:${port}: ${why}`, { cause: err });
  }
  const actualPort = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${actualPort}/`;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Stop taking runs, release the active ones (subscribers see them released), then close.
      // Campaigns first: each stops starting runs and releases the one under way.
      await campaigns.shutdown();
      await runs.shutdown();
      // Released runs end their event streams: let those ends reach the subscribers (bounded for
      // a client that stopped reading; generous, since a loaded machine may take seconds).
      await streams.drained(10_000);
      terminals.close();
      for (const client of wss.clients) client.close(1001, "server shutting down");
      wss.close();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      await cluster?.close();
      await store.close();
    })());

  return { url, port: actualPort, token, close };
}

interface Cluster {
  runs: RemoteRuns;
  campaigns: RemoteCampaigns;
  close(): Promise<void>;
}

/** An API server of workers: the queue it puts runs in, and the notifications it hears. */
async function joinCluster(url: string, store: Store, log: Logger): Promise<Cluster> {
  const notifications = await Notifications.connect(url, store.database.db, log, [
    CHANNELS.events,
    CHANNELS.campaignEvents,
    CHANNELS.reply,
  ]);
  const boss = new PgBoss({ connectionString: url, schedule: false, supervise: false, max: 4 });
  boss.on("error", (err: Error) => log(`queue: ${err.message}`, { level: "error", err }));
  try {
    await boss.start();
    await createQueues(boss, store.database.db);
  } catch (err) {
    await notifications.close();
    throw err;
  }
  const runs = new RemoteRuns(store, notifications, boss);
  const campaigns = new RemoteCampaigns(new CampaignStore(store.database), notifications, boss);
  return {
    runs,
    campaigns,
    async close() {
      runs.close();
      campaigns.close();
      await boss.stop({ graceful: false, wait: true });
      await notifications.close();
    },
  };
}

/** Bytes held back on a connection before they leave, even in the middle of a burst. */
const COALESCE_BYTES = 32 * 1024;

/**
 * A burst of transitions becomes many small messages on each connection within one turn of
 * the event loop: hold the socket's writes until the turn ends, so they leave in a few
 * syscalls instead of one each (ws itself corks only within a frame). A long burst leaves in
 * pieces of COALESCE_BYTES, so that the subscriber reads the first events while the server
 * is still writing the last ones, rather than everything waiting for the end of the turn.
 */
function coalesceWrites(ws: WebSocket): void {
  const socket = socketOf(ws);
  if (!socket) return;
  const send = ws.send.bind(ws) as (...args: unknown[]) => void;
  let corked = false;
  let held = 0;
  let flushScheduled = false;
  const flush = () => {
    if (!corked) return;
    corked = false;
    held = 0;
    socket.uncork();
  };
  ws.send = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      socket.cork();
      if (!flushScheduled) {
        flushScheduled = true;
        process.nextTick(() => {
          flushScheduled = false;
          flush();
        });
      }
    }
    send(...args);
    const data = args[0];
    held += typeof data === "string" ? data.length : ((data as { byteLength?: number }).byteLength ?? 0);
    if (held >= COALESCE_BYTES) flush();
  }) as WebSocket["send"];
}

/**
 * GET /files/runs/<runId>/traces/<guid>/<name>: a kept trace, byte for byte (binary traces
 * such as pcap cannot travel in JSON), as a download streamed from its file. A file that
 * cannot be read is an error answer; one that fails part-way cuts the answer short of its
 * Content-Length (never a complete-looking "200").
 */
async function sendTrace(
  store: Store,
  res: ServerResponse,
  runId: string,
  guid: number,
  name: string,
  log: Logger,
): Promise<void> {
  const trace = await store.getTrace(runId, guid, name);
  if (!trace) return reply(res, 404, `run "${runId}" kept no trace "${name}" of resource ${guid}`);
  let file: FileHandle;
  let size: number;
  try {
    file = await open(trace.path, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return reply(res, 404, `the file of trace "${name}" of resource ${guid} is missing`);
    return reply(res, 500, `the file of trace "${name}" of resource ${guid} cannot be read (${code ?? (err as Error).message})`);
  }
  try {
    const info = await file.stat();
    if (!info.isFile()) throw Object.assign(new Error("not a file"), { code: info.isDirectory() ? "EISDIR" : "EINVAL" });
    size = info.size;
  } catch (err) {
    await file.close();
    return reply(
      res,
      500,
      `the file of trace "${name}" of resource ${guid} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  res.writeHead(200, {
    "Content-Type": "application/octet-stream",
    "Content-Length": size,
    "Content-Disposition": `attachment; filename="${`${guid}-${name}`.replace(/[^A-Za-z0-9._-]/g, "_")}"`,
  });
  pipeline(file.createReadStream(), res, (err) => {
    if (err)
      log(`download of trace "${name}" of resource ${guid} cut: ${err.message}`, { level: "warn", runId, guid, trace: name });
  });
}

/**
 * GET /files/runs/<runId>/bundle.tar.gz: the released run's directory (design, manifest,
 * timeline, kept traces) as one archive, packed as it streams; 409 while the run is live.
 */
async function sendBundle(runs: RunManager, res: ServerResponse, runId: string, head: boolean): Promise<void> {
  let dir: string;
  try {
    dir = await runs.runDir(runId);
  } catch (err) {
    return reply(res, 404, (err as Error).message);
  }
  const missing = await missingRunFiles(dir);
  if (missing.length > 0)
    return reply(res, 409, `run "${runId}" has no bundle yet: ${missing.join(", ")} are written once it is released`);
  res.writeHead(200, {
    "Content-Type": "application/gzip",
    "Content-Disposition": `attachment; filename="${encodeURIComponent(runId)}.tar.gz"`,
  });
  if (head) return void res.end();
  // A file that cannot be read part-way cuts the answer short: never a complete-looking archive.
  pipeline(runBundleStream(dir), res, (err) => err && res.destroy(err));
}

function reply(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" }).end(message + "\n");
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  500: "Internal Server Error",
};

/** Answers a WebSocket upgrade with a plain HTTP error and closes the socket. */
function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${message}\n`,
  );
}
