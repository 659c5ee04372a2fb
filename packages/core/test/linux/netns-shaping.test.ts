import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  capabilityProbeScript,
  hostNamespace,
  parseCapabilities,
  parseIperf3,
  parsePing,
  shapingCommands,
  type KernelCapabilities,
  type LinkShaping,
} from "../../src/node.js";

const ensure = fileURLToPath(new URL("../../../../scripts/ensure-system-packages.sh", import.meta.url));
const tag = `sh${process.pid}`;
const [A, B] = [hostNamespace(tag, 1), hostNamespace(tag, 2)];
const sh = (script: string) => execFileSync("sh", ["-c", script], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** Runs shaping commands as a manager would, failing on the first that fails. */
function apply(ns: string, shaping: LinkShaping, caps: KernelCapabilities, previous?: LinkShaping): void {
  const r = shapingCommands({ ns, dev: "eth0", tag }, shaping, caps, previous);
  if (!r.ok) throw new Error(r.missing);
  for (const c of r.commands) sh(c);
}
const both = (shaping: LinkShaping, caps: KernelCapabilities, previous?: LinkShaping) =>
  [A, B].forEach((ns) => apply(ns, shaping, caps, previous));

/** Pings B from A: the replies received (none when ping cannot even send: a link that is down has no route). */
function ping(count: number, extra: string[] = []): { transmitted: number; received: number } {
  const r = spawnSync("ip", ["netns", "exec", A, "ping", "-n", "-q", "-c", String(count), ...extra, "10.99.0.2"], {
    encoding: "utf8",
  });
  return parsePing(r.stdout).summary ?? { transmitted: 0, received: 0 };
}

const root = process.getuid?.() === 0;

describe("kernel capabilities and shaping on a real veth pair", () => {
  if (!root) {
    it("needs root: network namespaces (npm test runs as root, as CI does)", () => expect.fail("not root"));
    return;
  }
  let caps: KernelCapabilities;
  beforeAll(() => {
    execFileSync("bash", [ensure, "nftables", "iperf3", "iputils-ping"], { stdio: "pipe" });
    caps = parseCapabilities(sh(capabilityProbeScript()));
    sh(
      [
        `ip netns add ${A}`,
        `ip netns add ${B}`,
        `ip -n ${A} link add eth0 type veth peer name eth0 netns ${B}`,
        `ip -n ${A} addr add 10.99.0.1/30 dev eth0`,
        `ip -n ${B} addr add 10.99.0.2/30 dev eth0`,
        `ip -n ${A} link set lo up`,
        `ip -n ${B} link set lo up`,
      ].join(" && "),
    );
  });
  afterAll(() => {
    spawnSync("sh", ["-c", `ip netns pids ${B} | xargs -r kill; ip netns del ${A}; ip netns del ${B}`]);
  });

  it("the probe finds what this kernel has: tbf, htb, clsact, nftables and vxlan, but no netem", () => {
    expect(caps).toEqual({ netem: false, tbf: true, htb: true, clsact: true, nftables: true, vxlan: true });
    expect(sh("ip netns list")).not.toMatch(/nepi-probe/);
  });

  it("asking for delay here fails, naming netem", () => {
    expect(shapingCommands({ ns: A, dev: "eth0", tag }, { delayMs: 10, up: true }, caps)).toEqual({
      ok: false,
      missing: "netem (sch_netem) — needed for delay",
    });
  });

  it("rate by tbf and loss by nftables apply, act, change and go", () => {
    const shaped: LinkShaping = { rate: "10mbit", lossPercent: 20, up: true };
    both(shaped, caps);
    expect(sh(`tc -n ${A} qdisc show dev eth0`)).toMatch(/qdisc tbf 1: root .*rate 10Mbit burst 12500b lat 50ms/);
    expect(sh(`ip netns exec ${A} nft list table netdev nepi_${tag}`)).toMatch(/numgen random mod 100000 < 20000 drop/);
    // Applying the same again changes nothing and fails nothing.
    both(shaped, caps, shaped);

    // 20 % loss on each end: a round trip survives 64 % of the time.
    const lossy = ping(300, ["-i", "0.002"]);
    expect(lossy.transmitted).toBe(300);
    expect(lossy.received).toBeGreaterThan(0.45 * 300);
    expect(lossy.received).toBeLessThan(0.8 * 300);

    // The rate, without loss: iperf3 through the token bucket.
    const rateOnly: LinkShaping = { rate: "10mbit", up: true };
    both(rateOnly, caps, shaped);
    expect(sh(`ip netns exec ${A} nft list table netdev nepi_${tag}`)).not.toMatch(/loss_eth0/);
    sh(`ip netns exec ${B} iperf3 -s -1 -D -B 10.99.0.2`);
    const iperf = parseIperf3(
      execFileSync("ip", ["netns", "exec", A, "iperf3", "-J", "-t", "2", "-c", "10.99.0.2", "--connect-timeout", "5000"], {
        encoding: "utf8",
      }),
    );
    expect(iperf.summary!.bitsPerSecond).toBeGreaterThan(7e6);
    expect(iperf.summary!.bitsPerSecond).toBeLessThan(11e6);

    // A flap: down, no reply; up again, replies.
    both({ ...rateOnly, up: false }, caps, rateOnly);
    expect(ping(1, ["-W", "1"]).received).toBe(0);
    both(rateOnly, caps, { ...rateOnly, up: false });
    expect(ping(1, ["-w", "10"]).received).toBe(1);

    // Everything off: the qdisc is the veth's default again.
    both({ up: true }, caps, rateOnly);
    expect(sh(`tc -n ${A} qdisc show dev eth0`)).toMatch(/^qdisc noqueue 0: root/);
  });

  it("lowering the rate under an iperf3 flow: the flow goes on at the new rate (no stalled queue)", async () => {
    const fast: LinkShaping = { rate: "10mbit", up: true };
    const slow: LinkShaping = { rate: "5mbit", up: true };
    both(fast, caps);
    sh(`ip netns exec ${B} iperf3 -s -1 -D -B 10.99.0.2 -p 5202`);
    // A stalled flow never ends on its own: timeout ends it and the test sees a failure.
    const client = spawn(
      "timeout",
      ["30", "ip", "netns", "exec", A, "iperf3", "-c", "10.99.0.2", "-p", "5202", "-t", "8"].concat([
        "-i",
        "1",
        "--forceflush",
        "--connect-timeout",
        "5000",
      ]),
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<number | null>((resolve) => client.on("close", resolve));
    const rates: number[] = [];
    let changedAfter = -1;
    for await (const line of createInterface({ input: client.stdout })) {
      // "[  5]   2.00-3.00   sec   598 KBytes  4.90 Mbits/sec  0   ..." (the sender's intervals)
      const m = /sec\s+[\d.]+ \w?Bytes\s+([\d.]+) (\w?)bits\/sec/.exec(line);
      if (!m || /sender|receiver/.test(line)) continue;
      rates.push(Number(m[1]) * ({ K: 1e3, M: 1e6, G: 1e9 }[m[2]!] ?? 1));
      // The change happens mid-flow, as a set at run time would: after two seconds at 10 Mbit/s.
      if (rates.length === 2) {
        both(slow, caps, fast);
        changedAfter = rates.length;
      }
    }
    expect(await exited).toBe(0);
    expect(changedAfter).toBe(2);
    const later = rates.slice(changedAfter + 1, 8);
    expect(later).toHaveLength(8 - changedAfter - 1);
    for (const r of later) expect(r).toBeGreaterThan(0);
    const mean = later.reduce((a, b) => a + b, 0) / later.length;
    // TCP payload through a 5 Mbit/s bucket of whole frames: ~4.8 Mbit/s.
    expect(mean).toBeGreaterThan(0.8 * 5e6);
    expect(mean).toBeLessThan(1.1 * 5e6);
  }, 40_000);
});
