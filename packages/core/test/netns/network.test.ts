import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { userInfo } from "node:os";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  LocalTransport,
  checkHosts,
  documentHost,
  networkTag,
  parseIperf3,
  parsePing,
  parseTraceroute,
  ExperimentDocumentSchema,
  type ExperimentController,
  type ExperimentDocumentInput,
} from "../../src/node.js";
import { startSshd, type PrivateSshd } from "../../src/bench/sshd.js";
import { listNetworkScript } from "../../src/netns/batch.js";
import { Batcher } from "../../src/resources/netns/batcher.js";
import { newController, nodeAttributes } from "../support/linux.js";

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
    execFileSync("ip", ["-o", "link", "show"], { stdio: ["ignore", "pipe", "ignore"] })
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

  it("joins hosts on a switch: one segment, and a link's counters read at the switch's port", async () => {
    const { ec, runId } = controller("switch");
    const sw = ec.registerResource("netns::Switch", {}, { label: "sw" });
    const hosts = [1, 2, 3].map((i) => ec.registerResource("netns::Node", {}, { label: `h${i}` }));
    const links = hosts.map((h) => {
      const l = ec.registerResource("netns::Link", {});
      ec.registerConnection(l, h);
      ec.registerConnection(l, sw);
      return l;
    });
    ec.registerTrace(links[2]!, "counters");
    const ping = ec.registerResource("linux::Ping", { target: "${ip:h3}", count: 20, interval: 0.1, packetSize: 1000 });
    ec.registerConnection(ping, hosts[0]!);
    ec.registerTrace(ping, "stdout");
    const seen: string[] = [];
    ec.deploy();
    await ec.waitStarted(links[2]!, { timeout: "20s" });
    const unfollow = ec.followTrace(links[2]!, "counters", { offset: 0 }, (chunk) => seen.push(chunk));
    await ec.waitFinished(ping, { timeout: "20s" });
    expect(parsePing(String(await ec.trace(ping, "stdout"))).summary?.received).toBe(20);
    // A switch is a namespace with a bridge; its hosts share one subnet (a /24 from the pool).
    const tag = networkTag(runId);
    expect(inNamespace(`nepi-${tag}-s${sw}`, "ip", "-o", "link", "show", "master", "br0").trim().split("\n")).toHaveLength(3);
    const addr = inNamespace(`nepi-${tag}-h${hosts[2]}`, "ip", "-4", "-o", "addr", "show", "dev", "eth0");
    expect(addr).toMatch(/inet 10\.100\.\d+\.\d+\/24/);
    // Followed as sampled: end 1 is the host (lower guid), end 2 the switch's port.
    await ec.release();
    unfollow();
    const lines = seen
      .join("")
      .trim()
      .split("\n")
      .map((l) => l.split(" ").map(Number));
    const last = lines.at(-1)!;
    // 20 echo requests of ~1 kB reached h3 (switch → h3: end 2 → end 1), and 20 replies left it.
    expect(last[2]!).toBeGreaterThan(20 * 1000);
    expect(last[1]!).toBeGreaterThan(20 * 1000);
    expect(String(await ec.trace(links[2]!, "counters"))).toBe(seen.join(""));
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

  it("lowers a link's rate under a running iperf3 flow: the flow goes on at the new rate", async () => {
    const { ec } = controller("slower");
    const h1 = ec.registerResource("netns::Node", {}, { label: "h1" });
    const h2 = ec.registerResource("netns::Node", {}, { label: "h2" });
    const link = ec.registerResource("netns::Link", { rate: "10mbit" });
    ec.registerConnection(link, h1);
    ec.registerConnection(link, h2);
    const server = ec.registerResource("linux::Iperf3", { role: "server", port: 5203 });
    const client = ec.registerResource("linux::Iperf3", { role: "client", port: 5203, duration: "8s" });
    ec.registerConnection(server, h2);
    ec.registerConnection(client, h1);
    ec.registerConnection(client, server);
    ec.registerTrace(client, "stdout");
    // Mid-flow: a tbf changed in place here kept its queue stuck and the flow never finished.
    ec.setWithConditions("rate", "5mbit", link, client, "STARTED", "3s");
    ec.deploy();
    await ec.waitFinished([client], { timeout: "40s" });
    const r = parseIperf3(String(await ec.trace(client, "stdout")));
    expect(r.error).toBeUndefined();
    const later = r.intervals.filter((i) => i.start >= 4.5);
    expect(later.length).toBeGreaterThanOrEqual(3);
    for (const i of later) expect(i.bitsPerSecond).toBeGreaterThan(0);
    const mean = later.reduce((a, i) => a + i.bytes * 8, 0) / later.reduce((a, i) => a + i.end - i.start, 0);
    // TCP payload through a 5 Mbit/s bucket of whole frames: ~4.8 Mbit/s.
    expect(mean).toBeGreaterThan(0.8 * 5e6);
    expect(mean).toBeLessThan(1.1 * 5e6);
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

  it("fails the resources of a network that cannot be planned, with the planner's reason", async () => {
    const { ec, runId } = controller("bad-plan");
    const { h1, l1, l2 } = chain(ec, { subnet: "10.88.0.0/29" });
    ec.set(l2, "subnet", "10.88.0.0/30");
    ec.deploy();
    await expect(ec.waitDeployed([l1, l2], { timeout: "20s" })).rejects.toThrow(/overlaps/);
    // The first to deploy (a host) planned the network and failed with the planner's words.
    expect(ec.failure(h1)).toMatch(/netns::Link \d+ \(l\d\): subnet 10\.88\.0\.0\/\d+ overlaps 10\.88\.0\.0\/\d+/);
    expect(namespacesOf(runId)).toEqual([]);
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

  it("redeploys a host: its namespace and links are made again, and the network carries on", async () => {
    const { ec, runId } = controller("redeploy");
    const { h1, r, h2, l1 } = chain(ec);
    ec.deploy();
    await ec.waitStarted([h1, r, h2, l1], { timeout: "20s" });
    await ec.redeploy(h1);
    await ec.waitStarted([h1, l1], { timeout: "20s" });
    expect(namespacesOf(runId)).toHaveLength(3);
    const ping = ec.registerResource("linux::Ping", { target: "${ip:h2}", count: 2, interval: 0.2 });
    ec.registerConnection(ping, h1);
    ec.registerTrace(ping, "stdout");
    ec.deploy([ping]);
    await ec.waitFinished(ping, { timeout: "20s" });
    expect(parsePing(String(await ec.trace(ping, "stdout"))).summary?.received).toBe(2);
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

  it("runs applications on namespace hosts of a machine reached over SSH, through its one connection", async () => {
    const { ec, runId } = controller("ssh");
    const machine = ec.registerResource("linux::Node", nodeAttributes("ssh"), { label: "machine" });
    const h1 = ec.registerResource("netns::Node", {}, { label: "h1" });
    const h2 = ec.registerResource("netns::Node", {}, { label: "h2" });
    const link = ec.registerResource("netns::Link", { subnet: "10.77.0.0/29" });
    for (const h of [h1, h2]) ec.registerConnection(h, machine);
    ec.registerConnection(link, h1);
    ec.registerConnection(link, h2);
    // A capture on h2 until h1's command is done; the command names h2 by its label.
    const capture = ec.registerResource("linux::Tcpdump", { interface: "eth0", filter: "icmp" });
    ec.registerConnection(capture, h2);
    ec.registerTrace(capture, "pcap");
    const app = ec.registerResource("linux::Application", {
      command: 'ping -c 2 -i 0.2 ${ip:h2} && ip -4 -o addr show dev eth0 && echo "home $APP_HOME"',
    });
    ec.registerConnection(app, h1);
    ec.registerTrace(app, "stdout");
    ec.registerCondition(app, "START", capture, "STARTED");
    ec.registerCondition(capture, "STOP", app, "FINISHED");
    ec.deploy();
    await ec.waitFinished(app, { timeout: "30s" });
    await ec.wait(capture, "STOPPED", { timeout: "20s" });
    const out = String(await ec.trace(app, "stdout"));
    // Inside h1's namespace: its own eth0 with the first address of the link's subnet.
    expect(out).toMatch(/2 received/);
    expect(out).toMatch(/eth0\s+inet 10\.77\.0\.1\/29/);
    expect(out).toMatch(new RegExp(`home \\S+/\\.nepi/test-netns-ssh/${runId}/${app}`));
    await ec.release();
    // The capture stopped by the condition saw the 2 echo requests and 2 replies.
    const pcap = readFileSync(String(await ec.trace(capture, "pcap", { attr: "PATH" })));
    const text = execFileSync("tcpdump", ["-nr", "-"], { input: pcap, stdio: ["pipe", "pipe", "ignore"] }).toString();
    expect(text.match(/ICMP echo request/g)).toHaveLength(2);
    expect(text.match(/ICMP echo reply/g)).toHaveLength(2);
  });
});

describe("the build batcher", () => {
  it("fails only the step whose line failed, with ip's own words", async () => {
    const t = new LocalTransport();
    const batcher = new Batcher((script) => t.exec(script));
    const tag = `b${process.pid}`;
    const ns = (n: string) => `nepi-${tag}-${n}`;
    try {
      // Submitted in one turn: one batch.
      const results = await Promise.allSettled([
        batcher.submit({ root: [`netns add ${ns("a")}`], inNamespace: [[ns("a"), ["link set lo up"]]] }),
        batcher.submit({ root: [`netns add ${ns("b")}`], inNamespace: [[ns("b"), ["link add x type nonsense"]]] }),
        batcher.submit({ commands: [`ip -n ${ns("a")} link set dev nosuchdevice up`] }),
        batcher.submit({ inNamespace: [[ns("missing"), ["link set lo up"]]] }),
      ]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "rejected"]);
      const reason = (k: number) => String((results[k] as PromiseRejectedResult).reason);
      expect(reason(1)).toMatch(/Unknown device type/);
      expect(reason(2)).toMatch(/nosuchdevice/);
      expect(reason(3)).toMatch(/missing/);
      expect(inNamespace(ns("a"), "ip", "-o", "link", "show", "lo")).toMatch(/UP/);
    } finally {
      execFileSync("sh", ["-c", `ip netns del ${ns("a")}; ip netns del ${ns("b")}; true`], { stdio: "ignore" });
    }
  });
});

describe("an emulated host outside a run", () => {
  const doc = (machine: boolean): ExperimentDocumentInput => ({
    format: "nepi-experiment@1",
    name: "emulated hosts",
    resources: [
      { guid: 1, type: "netns::Node", label: "h1" },
      { guid: 2, type: "netns::Node", label: "h2" },
      { guid: 3, type: "netns::Link" },
      { guid: 4, type: "linux::Ping", attributes: { target: "${ip:h2}" } },
      ...(machine ? [{ guid: 5, type: "linux::Node", label: "far", attributes: { hostname: "far.example" } }] : []),
    ],
    connections: [
      { source: 3, target: 1 },
      { source: 3, target: 2 },
      { source: 4, target: 1 },
      ...(machine ? [{ source: 1, target: 5 }] : []),
    ],
  });

  it("is reached, and checked, as its machine is: this one when none is connected", async () => {
    const local = ExperimentDocumentSchema.parse(doc(false));
    expect(documentHost(local, 4)).toEqual({ guid: 1, label: "h1", settings: { host: "localhost" } });
    const far = ExperimentDocumentSchema.parse(doc(true));
    expect(documentHost(far, 4)).toMatchObject({ guid: 5, label: "far", settings: { host: "far.example" } });
    const report = await checkHosts(local);
    expect(report.hosts.map((h) => [h.label, h.target, h.ok])).toEqual([
      ["h1", "local", true],
      ["h2", "local", true],
    ]);
  });
});

describe("a network across two machines", () => {
  // The second machine: a network namespace with its own sshd, reached over a veth pair.
  const id = process.pid % 250;
  const machineNs = `h19m${process.pid}`;
  const uplink = `h19m${process.pid}r`;
  const [here, there] = [`10.253.${id}.1`, `10.253.${id}.2`];
  let sshd: PrivateSshd;
  beforeAll(async () => {
    execFileSync("sh", [
      "-c",
      [
        `ip netns add ${machineNs}`,
        `ip link add ${uplink} type veth peer name eth0 netns ${machineNs}`,
        `ip addr add ${here}/30 dev ${uplink}`,
        `ip link set ${uplink} up`,
        `ip -n ${machineNs} addr add ${there}/30 dev eth0`,
        `ip -n ${machineNs} link set eth0 up`,
        `ip -n ${machineNs} link set lo up`,
      ].join(" && "),
    ]);
    sshd = await startSshd({ netns: machineNs, host: there });
  });
  afterAll(async () => {
    await sshd?.stop();
    execFileSync("sh", ["-c", `ip link del ${uplink}; ip netns del ${machineNs}; true`], { stdio: "ignore" });
  });

  it("joins hosts on different machines with a VXLAN tunnel over the machines' own addresses", async () => {
    const { ec, runId } = controller("vxlan");
    const far = ec.registerResource(
      "linux::Node",
      {
        hostname: there,
        port: sshd.port,
        username: userInfo().username,
        identity: sshd.identity,
        knownHosts: sshd.knownHosts,
        strictHostKeyChecking: "yes",
      },
      { label: "far" },
    );
    const a = ec.registerResource("netns::Node", {}, { label: "a" });
    const b = ec.registerResource("netns::Node", {}, { label: "b" });
    const link = ec.registerResource("netns::Link", { rate: "20mbit" });
    ec.registerConnection(b, far);
    ec.registerConnection(link, a);
    ec.registerConnection(link, b);
    const toB = ec.registerResource("linux::Ping", { target: "${ip:b}", count: 3, interval: 0.2 });
    const toA = ec.registerResource("linux::Ping", { target: "${ip:a}", count: 3, interval: 0.2 });
    ec.registerConnection(toB, a);
    ec.registerConnection(toA, b);
    ec.registerTrace(toB, "stdout");
    ec.registerTrace(toA, "stdout");
    ec.deploy();
    await ec.waitFinished([toB, toA], { timeout: "30s" });
    expect(parsePing(String(await ec.trace(toB, "stdout"))).summary?.received).toBe(3);
    expect(parsePing(String(await ec.trace(toA, "stdout"))).summary?.received).toBe(3);
    // a's end is a VXLAN device from this machine's address to the far one's.
    const tag = networkTag(runId);
    const device = execFileSync("ip", ["-n", `nepi-${tag}-h${a}`, "-d", "link", "show", "eth0"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    expect(device.toString()).toMatch(
      new RegExp(`mtu 1450 .*vxlan id \\d+ remote ${there.replaceAll(".", "\\.")} local ${here.replaceAll(".", "\\.")}`, "s"),
    );
    await ec.release();
    // Nothing left on the far machine either (its namespaces are seen through its sshd).
    const { SshTransport } = await import("../../src/node.js");
    const t = new SshTransport({
      host: there,
      port: sshd.port,
      username: userInfo().username,
      identity: sshd.identity,
      knownHosts: sshd.knownHosts,
      strictHostKeyChecking: "yes",
    });
    try {
      expect((await t.exec(listNetworkScript(tag))).stdout).toBe("");
    } finally {
      await t.close();
    }
  });
});
