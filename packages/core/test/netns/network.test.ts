import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { networkTag, parseIperf3, parsePing, parseTraceroute, type ExperimentController } from "../../src/node.js";
import { newController } from "../support/linux.js";

/**
 * Emulated networks built for real in this machine's kernel (the tests run as root): namespace
 * hosts, a router, shaped links. Every run has its own tag, so its kernel names never meet
 * another test's (or another suite's running at the same time).
 */

/** The namespaces of a run (its tag is in their names). */
function namespacesOf(runId: string): string[] {
  const prefix = `nepi-${networkTag(runId)}-`;
  return execFileSync("ip", ["netns", "list"])
    .toString()
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter((n) => n.startsWith(prefix));
}

/** Names of the devices of this machine's own namespace. */
function rootDevices(): Set<string> {
  return new Set(
    execFileSync("ip", ["-o", "link", "show"])
      .toString()
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(": ")[1]!.split("@")[0]!),
  );
}

function inNamespace(ns: string, ...argv: string[]): string {
  return execFileSync("ip", ["netns", "exec", ns, ...argv]).toString();
}

const running: Array<{ ec: ExperimentController; runId: string; devicesBefore: Set<string> }> = [];

/** A controller for one test; its release is checked to leave nothing behind. */
function controller(name: string): { ec: ExperimentController; runId: string } {
  const ec = newController(`netns-${name}`);
  const runId = ec.runId;
  const entry = { ec, runId, devicesBefore: rootDevices() };
  running.push(entry);
  return entry;
}

afterEach(async () => {
  for (const { ec, runId, devicesBefore } of running.splice(0)) {
    await ec.release();
    // Nothing of the run is left: no namespace of its tag, no device of its in this namespace.
    expect(namespacesOf(runId)).toEqual([]);
    const added = [...rootDevices()].filter((d) => !devicesBefore.has(d) && /^(eth\d+|p\d+|br0)$/.test(d));
    expect(added).toEqual([]);
  }
});

/** h1 — r — h2: two links through a forwarding host. */
function chain(ec: ExperimentController, link: Record<string, string | number | boolean> = {}) {
  const h1 = ec.registerResource("netns::Node", {}, { label: "h1" });
  const r = ec.registerResource("netns::Node", { forwarding: true }, { label: "r" });
  const h2 = ec.registerResource("netns::Node", {}, { label: "h2" });
  const l1 = ec.registerResource("netns::Link", link, { label: "l1" });
  const l2 = ec.registerResource("netns::Link", {}, { label: "l2" });
  ec.registerConnection(l1, h1);
  ec.registerConnection(l1, r);
  ec.registerConnection(l2, r);
  ec.registerConnection(l2, h2);
  return { h1, r, h2, l1, l2 };
}

describe("an emulated network on this machine", () => {
  it("pings and traceroutes end to end across a router, the traces collected from inside the namespace", async () => {
    const { ec, runId } = controller("chain");
    const { h1, h2 } = chain(ec);
    const ping = ec.registerResource("linux::Ping", { target: "${ip:h2}", count: 3, interval: 0.2 });
    const trace = ec.registerResource("linux::Traceroute", { target: "${ip:h2}" });
    ec.registerConnection(ping, h1);
    ec.registerConnection(trace, h1);
    ec.registerTrace(ping, "stdout");
    ec.registerTrace(trace, "stdout");
    ec.deploy();
    await ec.waitFinished([ping, trace], { timeout: "30s" });
    expect(namespacesOf(runId)).toHaveLength(3);

    const h2Address = inNamespace(`nepi-${networkTag(runId)}-h${h2}`, "ip", "-4", "-o", "addr", "show", "dev", "eth0");
    const ip = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(h2Address)![1]!;
    const out = parsePing(String(await ec.trace(ping, "stdout")));
    expect(out.summary).toMatchObject({ transmitted: 3, received: 3, lossPercent: 0 });
    expect(out.replies[0]!.from).toBe(ip);
    // One router on the way: two hops, the second is h2.
    const tr = parseTraceroute(String(await ec.trace(trace, "stdout")));
    expect(tr.reached).toBe(true);
    expect(tr.hops).toHaveLength(2);

    await ec.release();
    // Collected into the run's directory from the namespace host's directory on the machine.
    const collected = readFileSync(join(String(await ec.trace(ping, "stdout", { attr: "PATH" }))), "utf8");
    expect(parsePing(collected).summary?.received).toBe(3);
  });

  it("limits a link to its rate, measured by iperf3, and changes it while the run goes on", async () => {
    const { ec } = controller("rate");
    const h1 = ec.registerResource("netns::Node", {}, { label: "h1" });
    const h2 = ec.registerResource("netns::Node", {}, { label: "h2" });
    const link = ec.registerResource("netns::Link", { rate: "10mbit" });
    ec.registerConnection(link, h1);
    ec.registerConnection(link, h2);
    ec.registerTrace(link, "counters");
    const pair = (port: number) => {
      const server = ec.registerResource("linux::Iperf3", { role: "server", port });
      const client = ec.registerResource("linux::Iperf3", { role: "client", port, duration: "3s" });
      ec.registerConnection(server, h2);
      ec.registerConnection(client, h1);
      // The client finds the server's address by itself: the server's host, seen from its own.
      ec.registerConnection(client, server);
      ec.registerTrace(client, "stdout");
      return { server, client };
    };
    const first = pair(5201);
    const second = pair(5202);
    // Once the first measurement is over the rate goes up; the second one runs a moment later.
    ec.setWithConditions("rate", "20mbit", link, first.client, "FINISHED");
    ec.registerCondition([second.server, second.client], "START", first.client, "FINISHED", "1s");
    ec.deploy();
    await ec.waitFinished([first.client, second.client], { timeout: "40s" });

    const mbps = async (guid: number) => {
      const r = parseIperf3(String(await ec.trace(guid, "stdout")));
      expect(r.error).toBeUndefined();
      return r.summary!.bitsPerSecond / 1e6;
    };
    const before = await mbps(first.client);
    const after = await mbps(second.client);
    expect(before).toBeGreaterThan(9);
    expect(before).toBeLessThan(11);
    expect(after).toBeGreaterThan(18);
    expect(after).toBeLessThan(22);

    // The counters trace: cumulative bytes each way, about the rate while iperf3 sent.
    const samples = String(await ec.trace(link, "counters"))
      .trim()
      .split("\n")
      .map((l) => l.split(" ").map(Number));
    expect(samples.length).toBeGreaterThan(3);
    for (const s of samples) expect(s).toHaveLength(4);
    expect(samples.every((s) => s[3] === 1)).toBe(true);
    const last = samples.at(-1)!;
    // h1 → h2 carried both measurements: 3 s at 10 Mbit/s and 3 s at 20 Mbit/s, about 11 MB.
    expect(last[1]!).toBeGreaterThan(8e6);
    expect(last[1]!).toBeLessThan(14e6);
  });

  it("drops about the loss asked for, with nftables where the kernel has no netem", async () => {
    const { ec, runId } = controller("loss");
    const h1 = ec.registerResource("netns::Node", {}, { label: "h1" });
    const h2 = ec.registerResource("netns::Node", {}, { label: "h2" });
    const link = ec.registerResource("netns::Link", { loss: 5 });
    ec.registerConnection(link, h1);
    ec.registerConnection(link, h2);
    const ping = ec.registerResource("linux::Ping", { target: "${ip:h2}", count: 1000, interval: 0.002 });
    ec.registerConnection(ping, h1);
    ec.deploy();
    await ec.waitFinished(ping, { timeout: "30s" });
    // One way: the echo requests h2 received of the 1,000 h1 sent.
    const snmp = inNamespace(`nepi-${networkTag(runId)}-h${h2}`, "cat", "/proc/net/snmp");
    const [names, values] = snmp.split("\n").filter((l) => l.startsWith("Icmp:"));
    const inEchos = Number(values!.split(/\s+/)[names!.split(/\s+/).indexOf("InEchos")]);
    const lost = (1000 - inEchos) / 10;
    expect(lost).toBeGreaterThanOrEqual(3);
    expect(lost).toBeLessThanOrEqual(7);
  });

  it("fails a link whose shaping the kernel cannot do, naming the missing feature", async () => {
    const caps = execFileSync("sh", ["-c", "tc qdisc add dev lo root netem delay 1ms 2>&1 && tc qdisc del dev lo root; true"]);
    const hasNetem = !/Error|Unknown|No such/.test(caps.toString());
    const { ec } = controller("no-netem");
    const h1 = ec.registerResource("netns::Node", {}, { label: "h1" });
    const h2 = ec.registerResource("netns::Node", {}, { label: "h2" });
    const link = ec.registerResource("netns::Link", { delay: "20ms" });
    ec.registerConnection(link, h1);
    ec.registerConnection(link, h2);
    const ping = ec.registerResource("linux::Ping", { target: "${ip:h2}", count: 2, interval: 0.2 });
    ec.registerConnection(ping, h1);
    ec.registerTrace(ping, "stdout");
    ec.deploy();
    if (hasNetem) {
      // A kernel with netem: the delay is there, each way.
      await ec.waitFinished(ping, { timeout: "20s" });
      const rtt = parsePing(String(await ec.trace(ping, "stdout"))).replies.map((r) => r.rttMs);
      expect(Math.min(...rtt)).toBeGreaterThanOrEqual(40);
      return;
    }
    await expect(ec.waitDeployed(link, { timeout: "20s" })).rejects.toThrow(/netem/);
    expect(ec.state(link)).toBe("FAILED");
    expect(ec.failure(link)).toMatch(/cannot shape this link: its kernel lacks netem \(sch_netem\) — needed for delay/);
  });

  it("flaps a link under conditions: a ping fails while it is down and works once it is up again", async () => {
    const { ec } = controller("flap");
    const { h1, l1 } = chain(ec);
    const ping = (count: number) => {
      const g = ec.registerResource("linux::Ping", { target: "${ip:h2}", count, interval: 0.2, critical: false });
      ec.registerConnection(g, h1);
      return g;
    };
    const before = ping(2);
    const during = ping(2);
    const afterwards = ping(2);
    ec.setWithConditions("up", false, l1, before, "FINISHED");
    ec.registerCondition(during, "START", before, "FINISHED", "500ms");
    ec.setWithConditions("up", true, l1, during, "FAILED");
    ec.registerCondition(afterwards, "START", during, "FAILED", "500ms");
    ec.deploy();
    await ec.wait(afterwards, ["FINISHED", "FAILED"], { timeout: "30s" });
    expect(ec.state(before)).toBe("FINISHED");
    expect(ec.state(during)).toBe("FAILED");
    expect(ec.state(afterwards)).toBe("FINISHED");
  });

  it("removes what a run left behind when a controller of the same run releases it (runs.cleanup after a crash)", async () => {
    const crashed = newController("netns-crashed");
    const runId = crashed.runId;
    const { l1, l2 } = chain(crashed);
    crashed.deploy();
    await crashed.waitDeployed([l1, l2], { timeout: "20s" });
    expect(namespacesOf(runId)).toHaveLength(3);

    // As the backend cleans up: a controller with the same ids deploys the hosts, then releases.
    const doc = crashed.toDocument();
    const { ExperimentController } = await import("../../src/node.js");
    const rootDir = crashed.rootDir;
    const cleanup = ExperimentController.fromDocument(doc, { expId: "test-netns-crashed", runId, rootDir });
    const hosts = doc.resources.filter((r) => r.type === "netns::Node").map((r) => r.guid);
    cleanup.deploy(hosts, { startTogether: false });
    await cleanup.waitDeployed(hosts, { timeout: "20s" });
    await cleanup.release();
    expect(namespacesOf(runId)).toEqual([]);
    await crashed.release();
    expect(namespacesOf(runId)).toEqual([]);
  });
});
