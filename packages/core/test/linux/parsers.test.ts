import { execFileSync, spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseIperf3, parsePing, parseTraceroute } from "../../src/parsers/index.js";
import { freePort } from "../../src/bench/sshd.js";

describe("parsePing", () => {
  it("reads the RTT series and the summary of a real ping", () => {
    const out = execFileSync("ping", ["-c", "3", "-i", "0.2", "127.0.0.1"]).toString();
    const p = parsePing(out);
    expect(p.target).toBe("127.0.0.1");
    expect(p.replies.map((r) => r.seq)).toEqual([1, 2, 3]);
    for (const r of p.replies) {
      expect(r.rttMs).toBeGreaterThan(0);
      expect(r.ttl).toBe(64);
      expect(r.from).toBe("127.0.0.1");
    }
    expect(p.summary).toMatchObject({ transmitted: 3, received: 3, lossPercent: 0 });
    expect(p.summary!.avgMs).toBeGreaterThan(0);
    expect(p.missing).toEqual([]);
  });

  it("reports loss and the missing sequence numbers, and reads a partial (live) output", () => {
    const text = [
      "PING 10.0.0.9 (10.0.0.9) 56(84) bytes of data.",
      "64 bytes from 10.0.0.9: icmp_seq=1 ttl=63 time=1.50 ms",
      "64 bytes from 10.0.0.9: icmp_seq=3 ttl=63 time=2.25 ms",
      "",
      "--- 10.0.0.9 ping statistics ---",
      "4 packets transmitted, 2 received, 50% packet loss, time 3004ms",
      "rtt min/avg/max/mdev = 1.500/1.875/2.250/0.375 ms",
    ].join("\n");
    const p = parsePing(text);
    expect(p.replies.map((r) => [r.seq, r.rttMs])).toEqual([
      [1, 1.5],
      [3, 2.25],
    ]);
    expect(p.missing).toEqual([2, 4]);
    expect(p.summary).toEqual({
      transmitted: 4,
      received: 2,
      lossPercent: 50,
      minMs: 1.5,
      avgMs: 1.875,
      maxMs: 2.25,
      mdevMs: 0.375,
    });
    const live = parsePing(text.split("\n").slice(0, 3).join("\n"));
    expect(live.summary).toBeUndefined();
    expect(live.missing).toEqual([2]);
  });
});

describe("parseIperf3", () => {
  it("turns a real iperf3 JSON output into a throughput series", async () => {
    const port = await freePort();
    const server = spawn("iperf3", ["-s", "-1", "--forceflush", "-p", String(port), "-B", "127.0.0.1"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    await new Promise<void>((resolve) => server.stdout.on("data", (c: Buffer) => /listening/.test(c.toString()) && resolve()));
    const out = execFileSync("iperf3", ["-c", "127.0.0.1", "-p", String(port), "-t", "2", "-i", "0.5", "-J"]).toString();
    const r = parseIperf3(out);
    expect(r.protocol).toBe("TCP");
    expect(r.intervals.length).toBe(4);
    expect(r.intervals[0]!.start).toBe(0);
    for (const i of r.intervals) expect(i.bitsPerSecond).toBeGreaterThan(0);
    expect(r.summary!.bitsPerSecond).toBeGreaterThan(0);
    expect(r.summary!.seconds).toBeGreaterThan(1.5);
    expect(parseIperf3(out.slice(0, 200))).toEqual({ intervals: [] });
  });

  it("reports iperf3's own error", () => {
    expect(
      parseIperf3('{"start":{},"intervals":[],"end":{},"error":"unable to connect to server: Connection refused"}').error,
    ).toBe("unable to connect to server: Connection refused");
  });
});

describe("parseTraceroute", () => {
  it("reads the hops of a real traceroute", () => {
    const out = execFileSync("traceroute", ["-n", "-q", "2", "-m", "3", "127.0.0.1"]).toString();
    const r = parseTraceroute(out);
    expect(r).toMatchObject({ target: "127.0.0.1", targetAddress: "127.0.0.1", maxHops: 3, reached: true });
    expect(r.hops).toHaveLength(1);
    expect(r.hops[0]!.probes).toHaveLength(2);
    expect(r.hops[0]!.probes[0]!.address).toBe("127.0.0.1");
  });

  it("reads timeouts, names and several addresses per hop", () => {
    const text = [
      "traceroute to example.org (10.0.3.1), 30 hops max, 60 byte packets",
      " 1  gw.lan (10.0.1.254)  0.412 ms  0.380 ms  0.366 ms",
      " 2  * 10.0.2.1  1.201 ms *",
      " 3  10.0.3.1  2.5 ms !H  10.0.3.2  2.7 ms  2.9 ms",
    ].join("\n");
    const r = parseTraceroute(text);
    expect(r.hops.map((h) => h.timeouts)).toEqual([0, 2, 0]);
    expect(r.hops[0]!.probes[0]).toEqual({ address: "10.0.1.254", name: "gw.lan", rttMs: 0.412 });
    expect(r.hops[2]!.probes.map((p) => p.address)).toEqual(["10.0.3.1", "10.0.3.2", "10.0.3.2"]);
    expect(r.reached).toBe(true);
  });
});
