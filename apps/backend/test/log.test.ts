import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { connect, simDoc, tempDir, waitForStatus } from "./helpers.js";
import { spawnServer } from "./spawn.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("the server log", () => {
  it("is one JSON object per line, and user text cannot forge a line", async () => {
    const dataDir = tempDir();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const s = await spawnServer(dataDir);
    const { client, close } = connect(s.url);
    cleanups.push(close);

    const forged = JSON.stringify({ level: 30, time: "2026-01-01T00:00:00.000Z", msg: "forged: every run released" });
    const name = `evil\n${forged}\r\nmore`;
    const { id } = await client.experiments.save.mutate({
      document: simDoc(name, [{ guid: 1, attributes: { duration: "1ms" } }]),
    });
    const { runId } = await client.runs.start.mutate({ experimentId: id });
    await waitForStatus(client, runId, (status) => status === "FINISHED");
    s.proc.kill("SIGTERM");
    expect(await s.exited).toEqual({ code: 0, signal: null });

    const records = s.lines.filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.length).toBe(s.lines.filter((l) => l !== "").length);
    for (const r of records)
      expect(r).toMatchObject({ level: expect.any(Number), time: expect.any(String), msg: expect.any(String) });
    expect(records.some((r) => r.msg === "forged: every run released")).toBe(false);
    // The name travels as a field, byte for byte.
    expect(records.find((r) => r.runId === runId && r.experimentName !== undefined)).toMatchObject({
      experimentId: id,
      experimentName: name,
    });
    expect(records.map((r) => r.msg)).toContain("SIGTERM: stopping and releasing every active run…");
  });
});
