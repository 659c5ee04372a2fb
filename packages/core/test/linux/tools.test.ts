import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseIperf3, parsePing, parseTraceroute, type ExperimentController } from "../../src/node.js";
import { freePort } from "../../src/bench/sshd.js";
import { newController, nodeAttributes } from "../support/linux.js";

let ec: ExperimentController | undefined;
afterEach(async () => {
  await ec?.shutdown();
  ec = undefined;
});

describe("linux tools over SSH", () => {
  it("ping and traceroute build their commands from their attributes; the parsers read their stdout", async () => {
    ec = newController("ping");
    const node = ec.registerResource("linux::Node", nodeAttributes("ssh"));
    const ping = ec.registerResource("linux::Ping", { target: "127.0.0.1", count: 3, interval: 0.2, packetSize: 100, ttl: 9 });
    const tr = ec.registerResource("linux::Traceroute", { target: "127.0.0.1", maxHops: 3, queries: 2 });
    for (const r of [ping, tr]) {
      ec.registerConnection(r, node);
      ec.registerTrace(r, "stdout");
    }
    ec.deploy();
    await ec.waitFinished([ping, tr], { timeout: "30s" });
    const p = parsePing(String(await ec.trace(ping, "stdout")));
    expect(p.replies.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(p.replies[0]!.bytes).toBe(108);
    expect(p.summary).toMatchObject({ transmitted: 3, received: 3, lossPercent: 0 });
    const t = parseTraceroute(String(await ec.trace(tr, "stdout")));
    expect(t).toMatchObject({ maxHops: 3, reached: true });
    expect(t.hops[0]!.probes).toHaveLength(2);
  });

  it("tcpdump captures until stopped and its pcap is collected; ping runs once it listens", async () => {
    ec = newController("tcpdump");
    const node = ec.registerResource("linux::Node", nodeAttributes("ssh"));
    const dump = ec.registerResource("linux::Tcpdump", { interface: "lo", filter: "icmp" }, { label: "capture" });
    const ping = ec.registerResource("linux::Ping", { target: "127.0.0.1", count: 2, interval: 0.2 });
    ec.registerConnection(dump, node);
    ec.registerConnection(ping, node);
    ec.registerTrace(dump, "pcap");
    ec.registerCondition(ping, "START", dump, "STARTED");
    ec.registerCondition(dump, "STOP", ping, "FINISHED");
    ec.deploy();
    await ec.waitFinished([ping, dump], { timeout: "30s" });
    expect(ec.state(dump)).toBe("STOPPED");
    await ec.release();
    const pcap = readFileSync(join(ec.rootDir, ec.expId, ec.runId, `${dump}-capture`, "pcap"));
    // pcap magic, then 2 requests and 2 replies of 98+ bytes each.
    expect(pcap.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(pcap.length).toBeGreaterThanOrEqual(24 + 4 * (16 + 98));
  });

  it("an iperf3 client measures against a connected server and its JSON gives the throughput", async () => {
    ec = newController("iperf3");
    const port = await freePort();
    const node = ec.registerResource("linux::Node", nodeAttributes("ssh"));
    const server = ec.registerResource("linux::Iperf3", { role: "server", port });
    const client = ec.registerResource("linux::Iperf3", { role: "client", port, duration: "1s", bandwidth: "50M" });
    ec.registerConnection(server, node);
    ec.registerConnection(client, node);
    ec.registerConnection(client, server);
    ec.registerTrace(client, "stdout");
    ec.deploy();
    await ec.waitFinished([server, client], { timeout: "30s" });
    const r = parseIperf3(String(await ec.trace(client, "stdout")));
    expect(r.error).toBeUndefined();
    expect(r.intervals.length).toBeGreaterThanOrEqual(1);
    // 50 Mbit/s asked: the measured average is close to it.
    expect(r.summary!.bitsPerSecond).toBeGreaterThan(40e6);
    expect(r.summary!.bitsPerSecond).toBeLessThan(60e6);
  });
});

describe("tool failures", () => {
  it("an iperf3 client with no server fails with iperf3's own error from its JSON", async () => {
    ec = newController("iperf3-fail");
    const node = ec.registerResource("linux::Node", nodeAttributes("ssh"));
    const client = ec.registerResource("linux::Iperf3", {
      role: "client",
      server: "127.0.0.1",
      port: await freePort(),
      duration: "1s",
    });
    ec.registerConnection(client, node);
    ec.deploy();
    await expect(ec.waitFinished(client, { timeout: "30s" })).rejects.toThrow();
    expect(ec.failure(client)).toMatch(/^exit code 1: unable to connect to server.*Connection refused/);
  });
});

describe("attribute values never become options of a tool", () => {
  it("a tcpdump filter starting with -w is a (bad) filter expression: no file is written", async () => {
    ec = newController("tcpdump-inject");
    const planted = join(mkdtempSync(join(tmpdir(), "nepi-inject-")), "x.pcap");
    const node = ec.registerResource("linux::Node", nodeAttributes("ssh"));
    const dump = ec.registerResource("linux::Tcpdump", { interface: "lo", filter: `-w${planted}` });
    ec.registerConnection(dump, node);
    ec.deploy();
    await expect(ec.waitFinished(dump, { timeout: "30s" })).rejects.toThrow();
    expect(ec.failure(dump)).toMatch(/can't parse filter expression/);
    expect(existsSync(planted)).toBe(false);
  });

  it("ping and traceroute targets starting with - are host names, not options (-V would exit 0)", async () => {
    ec = newController("target-inject");
    const node = ec.registerResource("linux::Node", nodeAttributes("ssh"));
    const ping = ec.registerResource("linux::Ping", { target: "-V", count: 1, critical: false });
    const tr = ec.registerResource("linux::Traceroute", { target: "-V", maxHops: 2, queries: 1, critical: false });
    const iperf = ec.registerResource("linux::Iperf3", {
      role: "client",
      server: "-V",
      port: await freePort(),
      duration: "1s",
      critical: false,
    });
    for (const r of [ping, tr, iperf]) ec.registerConnection(r, node);
    ec.deploy();
    const ends = await Promise.allSettled([ping, tr, iperf].map((r) => ec!.waitFinished(r, { timeout: "30s" })));
    expect(ends.map((e) => e.status)).toEqual(["rejected", "rejected", "rejected"]);
    for (const r of [ping, tr, iperf]) expect(ec.state(r)).toBe("FAILED");
    expect(ec.failure(ping)).toMatch(/-V: Name or service not known/);
    expect(ec.failure(tr)).toMatch(/Cannot handle "host" cmdline arg `-V'/);
    expect(ec.failure(iperf)).toMatch(/unable to (connect|resolve)|Name or service not known/i);
  });
});

describe("linux::Application set-up steps", () => {
  it("uploads sources and files, builds and installs with NEPI's placeholders, and feeds stdin", async () => {
    const local = mkdtempSync(join(tmpdir(), "nepi-src-"));
    mkdirSync(join(local, "proj"));
    writeFileSync(join(local, "proj", "greet.sh"), '#!/bin/sh\necho "greetings, $1"\n');
    writeFileSync(join(local, "data.txt"), "payload\n");
    ec = newController("setup");
    const node = ec.registerResource("linux::Node", nodeAttributes("ssh"));
    const app = ec.registerResource("linux::Application", {
      sources: join(local, "proj"),
      files: join(local, "data.txt"),
      build: 'test -f "${SRC}/proj/greet.sh" && cp proj/greet.sh greet',
      install: 'install -m 755 "${SRC}/greet" "${BIN}/nepi-greet-test"',
      depends: "coreutils",
      env: "WHO=world",
      stdin: "from stdin\n",
      command:
        'nepi-greet-test "$WHO"; cat; cat "${APP_HOME}/data.txt"; test -d "${NODE_HOME}" && test -d "${EXP_HOME}" && echo "$RUN_HOME" | grep -q "${EXP_HOME}"',
    });
    ec.registerConnection(app, node);
    ec.registerTrace(app, "stdout");
    ec.deploy();
    await ec.waitFinished(app, { timeout: "30s" });
    expect(await ec.trace(app, "stdout")).toBe("greetings, world\nfrom stdin\npayload\n");
  });

  it("fails the deploy with the build's own error, and names bad `depends` values", async () => {
    ec = newController("buildfail");
    const node = ec.registerResource("linux::Node", nodeAttributes("ssh"));
    const app = ec.registerResource("linux::Application", {
      command: "true",
      build: "echo compiling; echo 'error: missing header' >&2; exit 2",
    });
    const bad = ec.registerResource("linux::Application", { command: "true", depends: "ok-name $(reboot)", critical: false });
    ec.registerConnection(app, node);
    ec.registerConnection(bad, node);
    ec.set(app, "critical", false);
    ec.deploy();
    await expect(ec.waitDeployed(app, { timeout: "30s" })).rejects.toThrow();
    expect(ec.failure(app)).toMatch(/build failed with exit code 2: error: missing header/);
    await expect(ec.waitDeployed(bad, { timeout: "30s" })).rejects.toThrow();
    expect(ec.failure(bad)).toMatch(/attribute "depends": "\$\(reboot\)" is not a Debian package name/);
  });
});
