import { existsSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { startPrivatePostgres } from "../src/dev/private-postgres.js";

/** Resolves true when something accepts a TCP connection on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

describe("the private PostgreSQL of the tests", () => {
  it("starts a cluster of its own on a free port, takes queries, and leaves nothing once stopped", async () => {
    const cluster = await startPrivatePostgres();
    let dataDir: string;
    try {
      const client = new pg.Client({ connectionString: cluster.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ port: string; dir: string }>(
          "SELECT current_setting('port') AS port, current_setting('data_directory') AS dir",
        );
        expect(Number(rows[0]!.port)).toBe(cluster.port);
        dataDir = rows[0]!.dir;
        // Not the system service: its data lives in a temporary directory of its own.
        expect(dataDir).toMatch(/\/nepi-pg-[^/]+\/data$/);
        await client.query("CREATE DATABASE other");
      } finally {
        await client.end();
      }
      const other = new pg.Client({ connectionString: cluster.urlOf("other") });
      await other.connect();
      expect((await other.query<{ db: string }>("SELECT current_database() AS db")).rows[0]!.db).toBe("other");
      await other.end();
    } finally {
      await cluster.stop();
    }
    expect(await listening(cluster.port)).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
  });
});
