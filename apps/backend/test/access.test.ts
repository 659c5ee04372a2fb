import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const FIXTURE = fileURLToPath(new URL("./fixtures/access-check.mjs", import.meta.url));

/** Runs the access check against a server bound to `host`, inside a network namespace. */
function check(host: string, token?: string, namespaceAddress?: string): Record<string, unknown> {
  const node = `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(FIXTURE)} ${host}${token ? ` ${token}` : ""}`;
  // A private network namespace: its addresses exist only for this process tree.
  const setup = namespaceAddress ? `ip link set lo up && ip addr add ${namespaceAddress}/8 dev lo && ` : "ip link set lo up && ";
  const out = execFileSync("unshare", ["-n", "sh", "-c", setup + node], { encoding: "utf8", timeout: 30_000 });
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

describe("access control", () => {
  it("bound off loopback, requires a generated token on every HTTP and WebSocket request and checks Origin", () => {
    const r = check("10.77.0.1", undefined, "10.77.0.1");
    expect(r).toMatchObject({
      tokenRequired: true,
      noToken: 401,
      wrongToken: 401,
      bearer: 200,
      query: 200,
      cookie: 200,
      pageNoToken: 401,
      foreignOrigin: 403,
      ownOrigin: 200,
      wsNoToken: 401,
      wsToken: "open",
      wsForeignOrigin: 403,
      wsOwnOrigin: "open",
      logsShowToken: false,
    });
    expect(r.tokenLength).toBeGreaterThanOrEqual(32);
    // A browser opening /?token=… gets the token as an HttpOnly cookie and a clean address.
    expect(r.pageWithToken).toMatchObject({
      status: 303,
      location: "/",
      setCookie: expect.stringMatching(/^nepi_token=.+; HttpOnly; SameSite=Strict/),
    });
  });

  it("on loopback needs no token, still refuses foreign origins", () => {
    const r = check("127.0.0.1");
    expect(r).toMatchObject({
      tokenRequired: false,
      noToken: 200,
      foreignOrigin: 403,
      ownOrigin: 200,
      wsNoToken: "open",
      wsForeignOrigin: 403,
    });
  });

  it("on loopback with an explicit token (NEPI_TOKEN), requires it", () => {
    const r = check("127.0.0.1", "a-token-chosen-by-the-user-0123456789");
    expect(r).toMatchObject({ tokenRequired: true, noToken: 401, bearer: 200, wsNoToken: 401, wsToken: "open" });
  });

  it("on loopback refuses a foreign Host name (DNS rebinding)", async () => {
    const { startTestServer } = await import("./helpers.js");
    const t = await startTestServer();
    try {
      const { request } = await import("node:http");
      const status = await new Promise<number>((resolve, reject) => {
        const u = new URL(t.server.url);
        const req = request(
          { host: u.hostname, port: u.port, path: "/trpc/catalog.list", headers: { host: `evil.example:${u.port}` } },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on("error", reject);
        req.end();
      });
      expect(status).toBe(403);
      const ok = await fetch(`http://localhost:${t.server.port}/trpc/catalog.list`);
      expect(ok.status).toBe(200);
    } finally {
      await t.stop();
    }
  });
});
