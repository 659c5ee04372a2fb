import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import fc from "fast-check";
import WebSocket from "ws";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { tempDir } from "./helpers.js";
import { spawnServer, type ServerProcess } from "./spawn.js";

/**
 * Hostile requests against a real server process (`node dist/server/main.js`): every one is
 * answered (never a 5xx, never a dropped connection without a status) and the process stays up.
 * The server requires a token, so that the token check itself is attacked too.
 */
const TOKEN = "fuzz-token-0123456789";
let s: ServerProcess;
let port: number;
let dataDir: string;

// A server per test: one that died in a test does not fail the next ones.
beforeEach(async () => {
  dataDir = tempDir();
  // A web app to serve, so that its static files and fallback are attacked too.
  const web = join(dataDir, "web");
  mkdirSync(join(web, "assets"), { recursive: true });
  writeFileSync(join(web, "index.html"), "<!doctype html><title>NEPI Studio</title>");
  writeFileSync(join(web, "assets", "app.js"), "console.log('app')");
  s = await spawnServer(join(dataDir, "data"), { NEPI_TOKEN: TOKEN, NEPI_WEB_DIR: web });
  port = Number(new URL(s.url).port);
});
afterEach(async () => {
  if (s.proc.exitCode === null && s.proc.signalCode === null) {
    s.proc.kill("SIGTERM");
    await s.exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Writes `request` as raw bytes and resolves with everything the server sent before it closed
 * the connection (every request says `Connection: close`; the client does not half-close, as
 * browsers do not).
 */
function raw(request: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, "127.0.0.1");
    const got: Buffer[] = [];
    socket.on("data", (d: Buffer) => got.push(d));
    // A server that answers before reading everything (431 for a huge header) may reset the
    // connection while the request is still being written: the answer read so far counts.
    socket.on("error", () => socket.destroy());
    socket.on("close", () => resolve(Buffer.concat(got).toString("latin1")));
    socket.write(request);
  });
}

/** The status code of a raw answer (NaN when there was none). */
function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1]);
}

function get(target: string, headers: Record<string, string> = {}): string {
  const all = { Host: `127.0.0.1:${port}`, Connection: "close", ...headers };
  return `GET ${target} HTTP/1.1\r\n${Object.entries(all)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}\r\n`;
}

const AUTH = { Authorization: `Bearer ${TOKEN}` };
const UPGRADE = {
  Connection: "Upgrade",
  Upgrade: "websocket",
  "Sec-WebSocket-Version": "13",
  "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
};

async function expectAlive(): Promise<void> {
  expect(s.proc.exitCode).toBeNull();
  expect(s.proc.signalCode).toBeNull();
  expect(statusOf(await raw(get("/trpc/catalog.list", AUTH)))).toBe(200);
}

describe("a server under hostile requests", () => {
  it("answers each known killer with a 4xx and goes on", async () => {
    // Each with what it must get: a 4xx, or for a valid if odd request, any answer but a 5xx.
    const killers: Array<[string, string | Buffer, "4xx" | "answer"]> = [
      ["bad percent-encoding in a download path", get("/files/runs/%zz/traces/1/x", AUTH), "4xx"],
      ["bad percent-encoding in a trace name", get("/files/runs/r/traces/1/%E0%A4%A", AUTH), "4xx"],
      ["a path of two slashes", get("//", AUTH), "answer"],
      ["a path of two slashes, unauthenticated", get("//"), "4xx"],
      ["two slashes and a host-like path", get("//evil.example/trpc", AUTH), "answer"],
      ["an empty run id", get("/files/runs//traces/1/", AUTH), "answer"],
      ["a WebSocket upgrade to //", get("//", { ...AUTH, ...UPGRADE }), "4xx"],
      ["a WebSocket upgrade to a bad URL", get("//[", { ...AUTH, ...UPGRADE }), "4xx"],
      ["a bad cookie before the token check", get("/", { Cookie: "nepi_token=%E0" }), "4xx"],
      ["a bad cookie on a WebSocket upgrade", get("/trpc", { Cookie: "nepi_token=%E0", ...UPGRADE }), "4xx"],
      ["a bad token in the query", get("/trpc/catalog.list?token=%E0"), "4xx"],
      ["a bad cookie and a good token", get("/files/runs/%zz/traces/1/x", { ...AUTH, Cookie: "nepi_token=%zz" }), "4xx"],
      ["an asterisk target", get("*", AUTH), "4xx"],
      ["an absolute-form target", get("http://127.0.0.1/files/runs/%zz/traces/1/x", AUTH), "4xx"],
      ["a bad procedure path", get("/trpc/%zz", AUTH), "4xx"],
      ["a huge header", get("/", { ...AUTH, "X-Big": "a".repeat(200_000) }), "4xx"],
      ["a huge cookie", get("/", { Cookie: `nepi_token=${"%E0".repeat(30_000)}` }), "4xx"],
      ["a header with a NUL byte", Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\0b\r\n\r\n`, "latin1"), "4xx"],
      ["not HTTP at all", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n", "4xx"],
    ];
    for (const [what, request, expected] of killers) {
      const status = statusOf(await raw(request));
      const ok = expected === "4xx" ? status >= 400 && status < 500 : status >= 200 && status < 500;
      expect({ what, status, ok }).toEqual({ what, status, ok: true });
    }
    await expectAlive();
  });

  it("keeps a token link's redirect on this server", async () => {
    const answer = await raw(get(`//evil.example/x?token=${TOKEN}`));
    expect(statusOf(answer)).toBe(303);
    expect(/\r\nLocation: ([^\r]*)\r\n/i.exec(answer)?.[1]).toBe("/evil.example/x");
  });

  it("answers random paths, cookies and headers, never with a 5xx", async () => {
    const piece = fc.constantFrom(
      "/",
      "//",
      "%",
      "%zz",
      "%E0",
      "%C0%AF",
      "%00",
      "%2F",
      "..",
      ".",
      "files",
      "runs",
      "traces",
      "trpc",
      "1",
      "x",
      "?",
      "token=",
      "&",
      "#",
      "\\",
      "catalog.list",
      "input=",
      "%7B",
      "é",
      "~",
      ";",
      "[",
      "]",
      "@",
      ":",
    );
    const path = fc.array(piece, { maxLength: 12 }).map((p) => p.join(""));
    const target = fc.oneof(
      path.map((p) => "/" + p),
      fc.tuple(path, path, path).map(([a, b, c]) => `/files/runs/${a}/traces/1/${b}${c}`),
      path.map((p) => "/trpc/" + p),
      path.map((p) => "/?token=" + p),
    );
    // Header values as bytes a client may send: printable, high bytes, escapes (no CR/LF).
    const headerValue = fc
      .oneof(
        fc.string({ unit: "binary-ascii", maxLength: 40 }),
        fc.array(piece, { maxLength: 10 }).map((p) => p.join("")),
        fc.string({ unit: "grapheme", maxLength: 10 }),
      )
      .map((v) => v.replace(/[\r\n]/g, ""));
    const headers = fc.record(
      {
        Cookie: headerValue.map((v) => `nepi_token=${v}`),
        Authorization: fc.oneof(
          fc.constant(`Bearer ${TOKEN}`),
          headerValue.map((v) => `Bearer ${v}`),
        ),
        Origin: headerValue,
        Host: fc.oneof(fc.constant(`127.0.0.1:${port}`), headerValue),
      },
      { requiredKeys: [] },
    );
    const upgrade = fc.boolean();
    await fc.assert(
      fc.asyncProperty(target, headers, upgrade, async (t, h, up) => {
        const request = Buffer.from(get(t, { ...(h as Record<string, string>), ...(up ? UPGRADE : {}) }), "utf8");
        const status = statusOf(await raw(request));
        // Answered (with up to 4xx: random requests may well be valid ones) and still up.
        expect(status).toBeGreaterThanOrEqual(101);
        expect(status).toBeLessThan(500);
        expect(s.proc.exitCode).toBeNull();
      }),
      { numRuns: 300 },
    );
    await expectAlive();
  });

  it("answers bad WebSocket messages and keeps serving the connection", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/trpc`, { headers: AUTH });
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    let closed = false;
    ws.once("close", () => (closed = true));
    const answers: Array<{ id?: unknown; error?: unknown; result?: unknown }> = [];
    ws.on("message", (d: Buffer) => answers.push(JSON.parse(d.toString()) as (typeof answers)[number]));
    /** Resolves with the answer whose id is `id` (messages may be answered out of order). */
    const answerTo = (id: unknown) =>
      new Promise<(typeof answers)[number]>((resolve) => {
        const check = () => {
          const i = answers.findIndex((a) => a.id === id);
          if (i >= 0) resolve(answers.splice(i, 1)[0]!);
          else ws.once("message", check);
        };
        check();
      });
    let probes = 0;
    /** A real query after each message: the connection is still served. */
    const probe = async () => {
      const id = `probe-${++probes}`;
      ws.send(JSON.stringify({ id, method: "query", params: { path: "experiments.list", input: null } }));
      expect(await answerTo(id)).toMatchObject({ result: { type: "data" } });
    };
    // Each with the id of the error answer it gets (null: a message that cannot be parsed).
    const corpus: Array<[string, string | number | null | "none"]> = [
      ["not json", null],
      ["{", null],
      ["null", null],
      ['"just a string"', null],
      ["[1,2]", null],
      ["{}", null],
      ['{"id":1}', null],
      ['{"id":{},"method":"query"}', null],
      ['{"id":2,"method":"query","params":{"path":"%zz","input":null}}', 2],
      ['{"id":3,"method":"subscription","params":{"path":"runs.events","input":{"runId":"%zz"}}}', 3],
      ['{"id":4,"method":"subscription","params":{"path":"runs.trace","input":{"runId":"x","guid":-1,"name":""}}}', 4],
      ['{"id":6,"method":"query","params":{"path":"experiments.get","input":{"id":"\\ud800"}}}', 6],
      ['{"id":7,"method":"mutation","params":{"path":"experiments.save","input":{"document":{"format":1}}}}', 7],
      // Nothing to answer: an empty batch and stopping a subscription that does not exist.
      ["[]", "none"],
      ['{"id":5,"method":"subscription.stop"}', "none"],
    ];
    for (const [message, id] of corpus) {
      ws.send(message);
      if (id !== "none")
        expect({ message, answer: Object.keys(await answerTo(id)) }).toEqual({ message, answer: ["id", "error"] });
      await probe();
    }
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.json(), fc.string({ unit: "binary" })), async (message) => {
        ws.send(message);
        await probe();
        expect(closed).toBe(false);
      }),
      { numRuns: 200 },
    );
    ws.close();
    await expectAlive();
  });
});
