import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  ExperimentController,
  listNetworkScript,
  networkTag,
  parseIperf3,
  parsePing,
  parseTraceroute,
  type ExperimentDocumentInput,
} from "../../src/node.js";

/** The shipped network examples, run as they are: each builds its own network and removes it. */
const examples = fileURLToPath(new URL("../../../../examples/", import.meta.url));
const rootDir = mkdtempSync(join(tmpdir(), "nepi-netns-examples-"));
const load = (name: string) => JSON.parse(readFileSync(join(examples, name), "utf8")) as ExperimentDocumentInput;
const labelled = (doc: ExperimentDocumentInput, label: string) => doc.resources.find((r) => r.label === label)!.guid;
const leftOf = (runId: string) => execFileSync("sh", ["-c", listNetworkScript(networkTag(runId))], { encoding: "utf8" });

let runs = 0;
async function run(
  doc: ExperimentDocumentInput,
  wait: number[],
  check: (ec: ExperimentController) => Promise<void>,
): Promise<void> {
  const ec = ExperimentController.fromDocument(doc, {
    expId: "test-netns-examples",
    runId: `r${process.pid}-${++runs}`,
    rootDir,
  });
  try {
    ec.deploy();
    await ec.waitFinished(wait, { timeout: "150s" });
    await check(ec);
  } finally {
    await ec.shutdown();
  }
  expect(leftOf(ec.runId)).toBe("");
}

const root = process.getuid?.() === 0;

describe("the network examples", () => {
  if (!root) {
    it("needs root: network namespaces (npm test runs as root, as CI does)", () => expect.fail("not root"));
    return;
  }
  afterAll(() => rmSync(rootDir, { recursive: true, force: true }));

  // A whole network is built and removed: minutes on a loaded 2-core machine.
  it(
    "netns-chain-flap.json: the ping crosses three hops, and loses replies while the middle link is down",
    { timeout: 180_000 },
    async () => {
      const doc = load("netns-chain-flap.json");
      const ping = labelled(doc, "ping h2");
      const traceroute = labelled(doc, "traceroute h2");
      await run(doc, [ping, traceroute], async (ec) => {
        const p = parsePing(String(await ec.trace(ping, "stdout")));
        expect(p.summary!.transmitted).toBe(30);
        // Down from 5 s to 10 s of a ping every 0.5 s: about 10 lost, the rest answered.
        expect(p.summary!.received).toBeGreaterThan(10);
        expect(p.summary!.received).toBeLessThan(27);
        const tr = parseTraceroute(String(await ec.trace(traceroute, "stdout")));
        expect(tr.reached).toBe(true);
        expect(tr.hops).toHaveLength(3);
      });
    },
  );

  it("netns-dumbbell.json: two flows share the 10 Mbit/s bottleneck", { timeout: 180_000 }, async () => {
    const doc = load("netns-dumbbell.json");
    const clients = [labelled(doc, "client 1"), labelled(doc, "client 2")];
    const ping = labelled(doc, "ping r1");
    await run(doc, [...clients, ping], async (ec) => {
      const rates = await Promise.all(
        clients.map(async (c) => parseIperf3(String(await ec.trace(c, "stdout"))).summary!.bitsPerSecond),
      );
      const total = rates[0]! + rates[1]!;
      expect(total).toBeGreaterThan(6e6);
      expect(total).toBeLessThan(11e6);
      expect(parsePing(String(await ec.trace(ping, "stdout"))).summary!.received).toBeGreaterThan(0);
    });
  });
});
