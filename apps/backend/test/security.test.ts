import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { simDoc, startTestServer, tempDir, waitForStatus } from "./helpers.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function mode(path: string): string {
  return (statSync(path).mode & 0o777).toString(8);
}

describe("the data directory", () => {
  it("is created 0700 and the store's files 0600", async () => {
    const parent = tempDir();
    cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
    const dataDir = join(parent, "data");
    const t = await startTestServer({ dataDir });
    cleanups.push(() => t.stop());
    // Writes, so that the WAL and its index exist.
    const { id } = await t.client.experiments.save.mutate({
      document: simDoc("private", [{ guid: 1, attributes: { duration: "1ms" } }]),
    });
    const { runId } = await t.client.runs.start.mutate({ experimentId: id });
    await waitForStatus(t.client, runId, (s) => s === "FINISHED");

    expect(mode(dataDir)).toBe("700");
    for (const f of ["nepi.db", "nepi.db-wal", "nepi.db-shm"])
      expect({ f, mode: mode(join(dataDir, f)) }).toEqual({ f, mode: "600" });
  });

  it("corrects a data directory and files an older version left readable by all", async () => {
    const dataDir = tempDir();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    chmodSync(dataDir, 0o755);
    for (const f of ["nepi.db", "nepi.db-wal", "nepi.db-shm"]) writeFileSync(join(dataDir, f), "", { mode: 0o644 });
    expect(mode(join(dataDir, "nepi.db"))).toBe("644");

    const second = await startTestServer({ dataDir });
    cleanups.push(() => second.stop());
    expect(mode(dataDir)).toBe("700");
    for (const f of ["nepi.db", "nepi.db-wal", "nepi.db-shm"])
      expect({ f, mode: mode(join(dataDir, f)) }).toEqual({ f, mode: "600" });
  });
});

describe("every HTTP answer", () => {
  it("carries a CSP that no page may frame, and the usual security headers", async () => {
    const web = tempDir("nepi-web-");
    cleanups.push(() => rmSync(web, { recursive: true, force: true }));
    mkdirSync(join(web, "assets"));
    writeFileSync(join(web, "index.html"), "<!doctype html><title>NEPI Studio</title>");
    writeFileSync(join(web, "assets", "app.js"), "console.log('app')");
    const t = await startTestServer({ webDir: web });
    cleanups.push(() => t.stop());

    const answers = {
      index: await fetch(t.server.url),
      asset: await fetch(t.server.url + "assets/app.js"),
      fallback: await fetch(t.server.url + "designer/somewhere"),
      api: await fetch(t.server.url + "trpc/catalog.list"),
      apiError: await fetch(t.server.url + "trpc/experiments.get?input=%7B%7D"),
      download: await fetch(t.server.url + "files/runs/none/traces/1/stdout"),
      malformed: await fetch(t.server.url + "files/runs/%zz/traces/1/x"),
      refused: await fetch(t.server.url, { headers: { Origin: "http://evil.example" } }),
    };
    expect(Object.fromEntries(Object.entries(answers).map(([k, r]) => [k, r.status]))).toEqual({
      index: 200,
      asset: 200,
      fallback: 200,
      api: 200,
      apiError: 400,
      download: 404,
      malformed: 400,
      refused: 403,
    });
    for (const [what, r] of Object.entries(answers)) {
      const csp = r.headers.get("content-security-policy") ?? "";
      expect({
        what,
        frameAncestors: /(^|;)\s*frame-ancestors 'none'\s*(;|$)/.test(csp),
        scripts: /script-src 'self'(;|$)/.test(csp),
      }).toEqual({ what, frameAncestors: true, scripts: true });
      expect({
        what,
        frame: r.headers.get("x-frame-options"),
        sniff: r.headers.get("x-content-type-options"),
        referrer: r.headers.get("referrer-policy"),
      }).toEqual({ what, frame: "DENY", sniff: "nosniff", referrer: "no-referrer" });
    }
  });
});
