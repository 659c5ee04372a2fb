import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExperimentController, parseIperf3, parsePing, parseTraceroute, type ExperimentDocumentInput } from "../../src/node.js";

const script = fileURLToPath(new URL("../fixtures/netns-topology.sh", import.meta.url));
const example = fileURLToPath(new URL("../fixtures/netns-multihost.json", import.meta.url));
const id = process.pid % 200;
const env = {
  ...process.env,
  NEPI_NETNS_DIR: mkdtempSync(join(tmpdir(), "nepi-netns-")),
  NEPI_NETNS_PREFIX: `nt${id}`,
  NEPI_NETNS_NET: `10.251.${id}`,
};

/** Why network namespaces cannot be made here, or undefined when they can. */
function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "network namespaces need root (run the tests as root)";
  const probe = `nepiprobe${process.pid}`;
  const r = spawnSync("ip", ["netns", "add", probe]);
  if (r.status !== 0) return `"ip netns add" failed: ${r.stderr.toString().trim() || r.error?.message}`;
  spawnSync("ip", ["netns", "del", probe]);
  return undefined;
}
const unavailable = netnsUnavailable();

describe("three hosts in network namespaces (test/fixtures/netns-multihost.json)", () => {
  if (unavailable) {
    it(`needs network namespaces and sshd (npm test runs as root, as CI does)`, () => expect.fail(unavailable));
    return;
  }
  beforeAll(() => {
    execFileSync("bash", [script, "up"], { env, stdio: "pipe" });
  });
  afterAll(() => {
    execFileSync("bash", [script, "down"], { env, stdio: "pipe" });
  });

  it("pings, traceroutes and measures a tbf-limited link between hosts, each over its own SSH connection", async () => {
    // The example document as shipped, pointed at this test's own copy of the topology.
    const text = readFileSync(example, "utf8")
      .replaceAll("10.250.0.", `${env.NEPI_NETNS_NET}.`)
      .replaceAll("/tmp/nepi-netns", env.NEPI_NETNS_DIR);
    const doc = JSON.parse(text) as ExperimentDocumentInput;
    const ec = ExperimentController.fromDocument(doc, { expId: "test-netns", runId: `r${process.pid}-${Date.now()}` });
    try {
      ec.deploy();
      await ec.waitFinished([4, 5, 6, 7], { timeout: "60s" });
      const ping = parsePing(String(await ec.trace(4, "stdout")));
      expect(ping.summary).toMatchObject({ transmitted: 5, received: 5, lossPercent: 0 });
      expect(ping.replies[0]!.from).toBe(`${env.NEPI_NETNS_NET}.3`);
      const tr = parseTraceroute(String(await ec.trace(5, "stdout")));
      expect(tr.reached).toBe(true);
      expect(tr.hops).toHaveLength(1);
      const iperf = parseIperf3(String(await ec.trace(7, "stdout")));
      expect(iperf.error).toBeUndefined();
      // h1's link is limited to 20 Mbit/s by tbf: the receiver sees about that.
      expect(iperf.summary!.bitsPerSecond).toBeGreaterThan(12e6);
      expect(iperf.summary!.bitsPerSecond).toBeLessThan(22e6);
      // The client ran inside h1's namespace and reached h3: its own addresses say so.
      const raw = JSON.parse(String(await ec.trace(7, "stdout"))) as {
        start: { connected: Array<{ local_host: string; remote_host: string }> };
      };
      expect(raw.start.connected[0]).toMatchObject({
        local_host: `${env.NEPI_NETNS_NET}.1`,
        remote_host: `${env.NEPI_NETNS_NET}.3`,
      });
    } finally {
      await ec.shutdown();
    }
  });
});
