import { rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import WebSocket, { WebSocketServer } from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { readTraceFile } from "../src/runs/trace-file.js";
import { wsConnection } from "../src/server/connections.js";
import { tempDir } from "./helpers.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("reading a kept trace file", () => {
  it("asks before every read: a reader that waits stops the reading", async () => {
    const dir = tempDir();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "trace");
    writeFileSync(path, "x".repeat(64 * 1024 * 10));
    let asked = 0;
    let release: (() => void) | undefined;
    const gate = () => (++asked === 1 ? Promise.resolve() : new Promise<void>((r) => (release = r)));
    const chunks = readTraceFile(path, 0, gate);
    expect((await chunks.next()).value).toMatchObject({ offset: 0, data: "x".repeat(64 * 1024) });
    // Asking for the next chunk asks the gate first, before anything is read.
    const second = chunks.next();
    expect(asked).toBe(2);
    release!();
    expect((await second).value).toMatchObject({ offset: 64 * 1024 });
    await chunks.return(0);
  });

  it("never splits a UTF-8 character between chunks, and fails on a read error", async () => {
    const dir = tempDir();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "trace");
    const text = "a🚀".repeat(50_000);
    writeFileSync(path, text);
    let got = "";
    for await (const c of readTraceFile(path, 0, () => Promise.resolve())) {
      expect(c.data.includes("\ufffd")).toBe(false);
      got += c.data;
    }
    expect(got).toBe(text);
    await expect(readTraceFile(dir, 0, () => Promise.resolve()).next()).rejects.toMatchObject({ code: "EISDIR" });
  });
});

describe("a WebSocket connection's drained()", () => {
  it("waits while its client does not read, and resolves once it does", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const p = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const wss = new WebSocketServer({ port, host: "127.0.0.1" });
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    const serverSide = new Promise<WebSocket>((resolve) => wss.once("connection", resolve));
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    cleanups.push(() => client.terminate());
    await new Promise((r) => client.once("open", r));
    client.pause();
    const ws = await serverSide;
    const connection = wsConnection(ws, { maxSubscriptions: 1, maxBufferedBytes: Infinity });
    // Fill the kernel's buffers and more: what is left is queued in the server.
    const block = Buffer.alloc(1024 * 1024);
    while (ws.bufferedAmount < 4 * 1024 * 1024) {
      ws.send(block);
      await new Promise<void>((r) => setImmediate(r));
    }
    let drained = false;
    const waiting = connection.drained().then(() => (drained = true));
    await new Promise<void>((r) => setImmediate(r));
    expect(drained).toBe(false);
    client.resume();
    await waiting;
    expect(ws.bufferedAmount).toBe(0);
  });
});
