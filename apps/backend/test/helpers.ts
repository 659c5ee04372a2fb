import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect as tcpConnect, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTRPCClient, createWSClient, httpLink, splitLink, wsLink, type TRPCClient } from "@trpc/client";
import Database from "better-sqlite3";
import pg from "pg";
import { inject } from "vitest";
import WebSocket from "ws";
import type { CampaignEvent, ExperimentDocumentInput, RunEvent, TraceChunk } from "@nepi/core";
import type { AppRouter } from "../src/router/index.js";
import { startServer, type RunningServer, type StartOptions } from "../src/server/start.js";

export type Client = TRPCClient<AppRouter>;

export function tempDir(prefix = "nepi-backend-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A tRPC client like the web app's: HTTP for queries/mutations, a WebSocket for subscriptions. */
export function connect(url: string, opts: { token?: string } = {}): { client: Client; close: () => void } {
  const headers = opts.token ? { Authorization: `Bearer ${opts.token}` } : undefined;
  const wsUrl = url.replace(/^http/, "ws") + "trpc" + (opts.token ? `?token=${encodeURIComponent(opts.token)}` : "");
  const ws = createWSClient({
    url: wsUrl,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    retryDelayMs: () => 50,
  });
  const client = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: wsLink({ client: ws }),
        false: httpLink({ url: url + "trpc", ...(headers ? { headers } : {}) }),
      }),
    ],
  });
  return { client, close: () => void ws.close() };
}

/** Which store the suites run against: NEPI_TEST_DATABASE=postgres runs them on a private PostgreSQL. */
export const testDatabase: "sqlite" | "postgres" = inject("postgresUrl") ? "postgres" : "sqlite";

/** A new, empty database in the private PostgreSQL cluster (the suites run against postgres). */
export async function freshPostgresDatabase(): Promise<string> {
  const base = inject("postgresUrl");
  if (!base) throw new Error("no PostgreSQL cluster: run the suites with NEPI_TEST_DATABASE=postgres");
  const name = `nepi_${randomUUID().replaceAll("-", "")}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return base.replace(/\/[^/]*$/, `/${name}`);
}

/** The store of a test server: SQLite in its data directory, or a new PostgreSQL database. */
export async function testDatabaseUrl(): Promise<string | undefined> {
  return testDatabase === "postgres" ? freshPostgresDatabase() : undefined;
}

export interface TestServer {
  server: RunningServer;
  client: Client;
  dataDir: string;
  /** Its PostgreSQL database, when the suites run against PostgreSQL (else SQLite in dataDir). */
  databaseUrl: string | undefined;
  logs: string[];
  stop(): Promise<void>;
}

/** A real server on a free port with its own data directory, and a client on it. */
export async function startTestServer(options: StartOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDir();
  const logs: string[] = [];
  const databaseUrl = options.databaseUrl ?? (options.dataDir ? undefined : await testDatabaseUrl());
  const server = await startServer({
    port: 0,
    examplesDir: null,
    log: (l) => logs.push(l),
    ...options,
    dataDir,
    ...(databaseUrl ? { databaseUrl } : {}),
  }).catch((err) => {
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  const { client, close } = connect(server.url, server.token ? { token: server.token } : {});
  return {
    server,
    client,
    dataDir,
    databaseUrl,
    logs,
    async stop() {
      close();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Reads a test server's store behind its back (what it keeps, not what its API shows):
 * `query` is SQL with `?` placeholders, run on the server's SQLite file or PostgreSQL database.
 */
export async function queryStore<T>(t: TestServer, query: string, ...params: unknown[]): Promise<T[]> {
  if (t.databaseUrl) {
    const client = new pg.Client({ connectionString: t.databaseUrl });
    await client.connect();
    try {
      let n = 0;
      return (
        await client.query(
          query.replace(/\?/g, () => `$${++n}`),
          params,
        )
      ).rows as T[];
    } finally {
      await client.end();
    }
  }
  const db = new Database(join(t.dataDir, "nepi.db"), { readonly: true });
  try {
    return db.prepare(query).all(...params) as T[];
  } finally {
    db.close();
  }
}

export type Tracked<T> = { id: string; data: T };

/**
 * Subscribes to a run's events and collects them until `until` holds (or the stream ends).
 * Resolves with every event received, in order.
 */
export function collectEvents(
  client: Client,
  input: { runId: string; lastEventId?: string },
  until: (e: RunEvent, all: Tracked<RunEvent>[]) => boolean = () => false,
): Promise<Tracked<RunEvent>[]> {
  return new Promise((resolve, reject) => {
    const all: Tracked<RunEvent>[] = [];
    const sub = client.runs.events.subscribe(input, {
      onData: (d) => {
        all.push(d as Tracked<RunEvent>);
        if (until(d.data as RunEvent, all)) {
          sub.unsubscribe();
          resolve(all);
        }
      },
      onError: (err) => reject(err),
      onComplete: () => resolve(all),
    });
  });
}

/** Collects a campaign's events until `until` holds (or the stream ends). */
export function collectCampaignEvents(
  client: Client,
  input: { campaignId: string; lastEventId?: string },
  until: (e: CampaignEvent) => boolean = () => false,
): Promise<Tracked<CampaignEvent>[]> {
  return new Promise((resolve, reject) => {
    const all: Tracked<CampaignEvent>[] = [];
    const sub = client.campaigns.events.subscribe(input, {
      onData: (d) => {
        all.push(d as Tracked<CampaignEvent>);
        if (until(d.data as CampaignEvent)) {
          sub.unsubscribe();
          resolve(all);
        }
      },
      onError: reject,
      onComplete: () => resolve(all),
    });
  });
}

/** Collects a trace until `until` holds on the text so far, or the stream ends. */
export function collectTrace(
  client: Client,
  input: { runId: string; guid: number; name: string; offset?: number },
  until: (text: string) => boolean = () => false,
): Promise<{ text: string; chunks: TraceChunk[] }> {
  return new Promise((resolve, reject) => {
    const chunks: TraceChunk[] = [];
    let text = "";
    const sub = client.runs.trace.subscribe(input, {
      onData: (d) => {
        const chunk = d.data as TraceChunk;
        chunks.push(chunk);
        text += chunk.data;
        if (until(text)) {
          sub.unsubscribe();
          resolve({ text, chunks });
        }
      },
      onError: (err) => reject(err),
      onComplete: () => resolve({ text, chunks }),
    });
  });
}

/** Resolves once the run's status satisfies `ok` (watching its event stream, no polling). */
export async function waitForStatus(
  client: Client,
  runId: string,
  ok: (status: string) => boolean,
): Promise<Tracked<RunEvent>[]> {
  return collectEvents(client, { runId }, (e) => (e.type === "status" || e.type === "snapshot") && ok(e.status));
}

export function simDoc(
  name: string,
  resources: Array<{ guid: number; attributes?: Record<string, string | boolean | number>; traces?: string[] }>,
  extra: Partial<ExperimentDocumentInput> = {},
): ExperimentDocumentInput {
  return {
    format: "nepi-experiment@1",
    name,
    resources: resources.map((r) => ({
      guid: r.guid,
      type: "sim::Task",
      attributes: r.attributes ?? {},
      traces: r.traces ?? [],
    })),
    ...extra,
  };
}

/**
 * A TCP relay to the server: the test can cut its connections (a network drop) and read every
 * byte the server sent through it (to scan responses, WebSocket frames included).
 */
export function relay(
  port: number,
): Promise<{ port: number; fromServer: Buffer[]; cut: () => void; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const fromServer: Buffer[] = [];
  const server = createServer((client) => {
    const upstream = tcpConnect(port, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => s.destroy());
    }
    upstream.on("data", (d: Buffer) => fromServer.push(d));
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        fromServer,
        cut: () => {
          for (const s of sockets) s.destroy();
        },
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    ),
  );
}
