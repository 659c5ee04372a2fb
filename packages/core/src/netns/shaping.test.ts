import { describe, expect, it } from "vitest";
import type { KernelCapabilities } from "./capabilities.js";
import { clearShapingCommands, rateBitsPerSecond, shapingCommands, tbfBurstBytes, type LinkShaping } from "./shaping.js";

const ALL: KernelCapabilities = { netem: true, tbf: true, htb: true, clsact: true, nftables: true, vxlan: true };
/** This CI kernel: no netem. */
const CI: KernelCapabilities = { ...ALL, netem: false };
const T = { ns: "nepi-r1-h3", dev: "eth0", tag: "r1" };
const TC = "tc -n nepi-r1-h3";
const UP = "ip -n nepi-r1-h3 link set dev eth0 up";
const NFT = "ip netns exec nepi-r1-h3 nft";
const LOSS_CHAIN = 'add chain netdev nepi_r1 loss_eth0 { type filter hook ingress device "eth0" priority 0 ; }';

function commands(shaping: LinkShaping, caps = ALL, previous?: LinkShaping): string[] {
  const r = shapingCommands(T, shaping, caps, previous);
  if (!r.ok) throw new Error(`unexpected: ${r.missing}`);
  return r.commands;
}

describe("rates as tc reads them", () => {
  it("reads bits, bytes, SI and IEC prefixes; a bare number is bits per second", () => {
    expect(rateBitsPerSecond("10mbit")).toBe(10e6);
    expect(rateBitsPerSecond("512kbit")).toBe(512e3);
    expect(rateBitsPerSecond("1Gbit")).toBe(1e9);
    expect(rateBitsPerSecond("1mibit")).toBe(1024 ** 2);
    expect(rateBitsPerSecond("1mbps")).toBe(8e6);
    expect(rateBitsPerSecond("2.5mbit")).toBe(2.5e6);
    expect(rateBitsPerSecond("9600")).toBe(9600);
  });
  it("refuses what tc would not take, naming the attribute", () => {
    for (const bad of ["fast", "10 Mbit/s", "0mbit", "-1mbit", "10mb", ""])
      expect(() => rateBitsPerSecond(bad), bad).toThrow(expect.objectContaining({ code: "BAD_VALUE", path: "attributes.rate" }));
  });
  it("sizes tbf's bucket at 10 ms of the rate, never under four frames", () => {
    expect(tbfBurstBytes(10e6)).toBe(12500);
    expect(tbfBurstBytes(1e9)).toBe(1250000);
    expect(tbfBurstBytes(64e3)).toBe(6056);
  });
});

describe("shaping command lines, every combination of the attributes", () => {
  it("nothing asked: only the link's state", () => {
    expect(commands({ up: true })).toEqual([UP]);
    expect(commands({ rate: "", delayMs: 0, jitterMs: 0, lossPercent: 0, up: false })).toEqual([
      "ip -n nepi-r1-h3 link set dev eth0 down",
    ]);
  });

  it("rate alone: a root tbf (handle 1:)", () => {
    expect(commands({ rate: "10mbit", up: true })).toEqual([
      `${TC} qdisc replace dev eth0 root handle 1: tbf rate 10000000bit burst 12500 latency 50ms`,
      UP,
    ]);
    expect(commands({ rate: "10mbit", up: true }, CI)).toEqual(commands({ rate: "10mbit", up: true }));
  });

  it("rate where tbf is missing: htb with one default class (handle 4:)", () => {
    expect(commands({ rate: "10mbit", up: true }, { ...CI, tbf: false })).toEqual([
      `${TC} qdisc replace dev eth0 root handle 4: htb default 1`,
      `${TC} class replace dev eth0 parent 4: classid 4:1 htb rate 10000000bit burst 12500`,
      UP,
    ]);
  });

  it("delay, jitter and loss with netem (handle 2:)", () => {
    expect(commands({ delayMs: 20, up: true })).toEqual([`${TC} qdisc replace dev eth0 root handle 2: netem delay 20ms`, UP]);
    expect(commands({ delayMs: 20, jitterMs: 5, up: true })).toEqual([
      `${TC} qdisc replace dev eth0 root handle 2: netem delay 20ms 5ms`,
      UP,
    ]);
    expect(commands({ jitterMs: 5, up: true })).toEqual([`${TC} qdisc replace dev eth0 root handle 2: netem delay 0ms 5ms`, UP]);
    expect(commands({ lossPercent: 1.5, up: true })).toEqual([`${TC} qdisc replace dev eth0 root handle 2: netem loss 1.5%`, UP]);
    expect(commands({ delayMs: 20, jitterMs: 5, lossPercent: 1, up: true })).toEqual([
      `${TC} qdisc replace dev eth0 root handle 2: netem delay 20ms 5ms loss 1%`,
      UP,
    ]);
  });

  it("netem with a rate: tbf (or htb) under netem (handles 5:/6: and 7:/8:)", () => {
    expect(commands({ rate: "1mbit", delayMs: 10, lossPercent: 2, up: true })).toEqual([
      `${TC} qdisc replace dev eth0 root handle 5: netem delay 10ms loss 2%`,
      `${TC} qdisc replace dev eth0 parent 5:1 handle 6: tbf rate 1000000bit burst 6056 latency 50ms`,
      UP,
    ]);
    expect(commands({ rate: "1mbit", lossPercent: 2, up: true }, { ...ALL, tbf: false })).toEqual([
      `${TC} qdisc replace dev eth0 root handle 7: netem loss 2%`,
      `${TC} qdisc replace dev eth0 parent 7:1 handle 8: htb default 1`,
      `${TC} class replace dev eth0 parent 8: classid 8:1 htb rate 1000000bit burst 6056`,
      UP,
    ]);
  });

  it("loss without netem: an nftables numgen rule in the run's table, in one transaction", () => {
    expect(commands({ lossPercent: 5, up: true }, CI)).toEqual([
      `${NFT} 'add table netdev nepi_r1 ; ${LOSS_CHAIN} ; flush chain netdev nepi_r1 loss_eth0 ; add rule netdev nepi_r1 loss_eth0 numgen random mod 100000 lt 5000 drop'`,
      UP,
    ]);
  });

  it("fractional and extreme loss percentages without netem", () => {
    const rule = (p: number) => commands({ lossPercent: p, up: true }, CI)[0]!.match(/lt (\d+) drop/)![1];
    expect(rule(0.25)).toBe("250");
    expect(rule(0.001)).toBe("1");
    // Below the rule's resolution it still drops something rather than nothing.
    expect(rule(0.0001)).toBe("1");
    expect(rule(100)).toBe("100000");
  });

  it("rate and loss without netem: tbf plus the nftables rule, down when asked", () => {
    expect(commands({ rate: "10mbit", lossPercent: 1, up: false }, CI)).toEqual([
      `${TC} qdisc replace dev eth0 root handle 1: tbf rate 10000000bit burst 12500 latency 50ms`,
      `${NFT} 'add table netdev nepi_r1 ; ${LOSS_CHAIN} ; flush chain netdev nepi_r1 loss_eth0 ; add rule netdev nepi_r1 loss_eth0 numgen random mod 100000 lt 1000 drop'`,
      "ip -n nepi-r1-h3 link set dev eth0 down",
    ]);
  });

  it("a device in the machine's own namespace: no -n, no netns exec", () => {
    const r = shapingCommands({ dev: "veth9", tag: "r1" }, { rate: "1mbit", lossPercent: 1, up: true }, CI);
    expect(r).toEqual({
      ok: true,
      commands: [
        "tc qdisc replace dev veth9 root handle 1: tbf rate 1000000bit burst 6056 latency 50ms",
        `nft 'add table netdev nepi_r1 ; add chain netdev nepi_r1 loss_veth9 { type filter hook ingress device "veth9" priority 0 ; } ; flush chain netdev nepi_r1 loss_veth9 ; add rule netdev nepi_r1 loss_veth9 numgen random mod 100000 lt 1000 drop'`,
        "ip link set dev veth9 up",
      ],
    });
  });
});

describe("a missing kernel feature fails, naming it", () => {
  it("delay or jitter without netem", () => {
    expect(shapingCommands(T, { delayMs: 20, up: true }, CI)).toEqual({
      ok: false,
      missing: "netem (sch_netem) — needed for delay",
    });
    expect(shapingCommands(T, { jitterMs: 2, up: true }, CI)).toEqual({
      ok: false,
      missing: "netem (sch_netem) — needed for jitter",
    });
  });
  it("loss without netem or nftables", () => {
    expect(shapingCommands(T, { lossPercent: 1, up: true }, { ...CI, nftables: false })).toEqual({
      ok: false,
      missing: "netem (sch_netem) or nftables (nf_tables with numgen) — needed for loss",
    });
  });
  it("rate without tbf or htb", () => {
    expect(shapingCommands(T, { rate: "1mbit", up: true }, { ...ALL, tbf: false, htb: false })).toEqual({
      ok: false,
      missing: "tbf (sch_tbf) or htb (sch_htb) — needed for rate",
    });
  });
  it("bad values throw, naming the attribute", () => {
    expect(() => shapingCommands(T, { lossPercent: 101, up: true }, ALL)).toThrow(
      expect.objectContaining({ path: "attributes.loss" }),
    );
    expect(() => shapingCommands(T, { delayMs: -1, up: true }, ALL)).toThrow(
      expect.objectContaining({ path: "attributes.delay" }),
    );
    expect(() => shapingCommands(T, { jitterMs: Number.NaN, up: true }, ALL)).toThrow(
      expect.objectContaining({ path: "attributes.jitter" }),
    );
    expect(() => shapingCommands(T, { rate: "lots", up: true }, ALL)).toThrow(
      expect.objectContaining({ path: "attributes.rate" }),
    );
  });
});

describe("changing a running link", () => {
  it("a new rate makes a new tbf (del + add: a tbf changed in place under load can stall)", () => {
    expect(commands({ rate: "5mbit", up: true }, CI, { rate: "10mbit", up: true })).toEqual([
      `${TC} qdisc del dev eth0 root handle 1:`,
      `${TC} qdisc add dev eth0 root handle 1: tbf rate 5000000bit burst 6250 latency 50ms`,
      UP,
    ]);
    expect(commands({ rate: "5mbit", delayMs: 10, up: true }, ALL, { rate: "10mbit", delayMs: 10, up: true })).toEqual([
      `${TC} qdisc replace dev eth0 root handle 5: netem delay 10ms`,
      `${TC} qdisc del dev eth0 parent 5:1 handle 6:`,
      `${TC} qdisc add dev eth0 parent 5:1 handle 6: tbf rate 5000000bit burst 6250 latency 50ms`,
      UP,
    ]);
  });
  it("the same rate, or htb's class, changes in place (same handles)", () => {
    expect(commands({ rate: "5mbit", up: true }, CI, { rate: "5mbit", up: false })[0]).toBe(
      `${TC} qdisc replace dev eth0 root handle 1: tbf rate 5000000bit burst 6250 latency 50ms`,
    );
    expect(commands({ rate: "5mbit", up: true }, { ...CI, tbf: false }, { rate: "10mbit", up: true })[1]).toBe(
      `${TC} class replace dev eth0 parent 4: classid 4:1 htb rate 5000000bit burst 6250`,
    );
  });
  it("another arrangement replaces the root under a new handle (the old tree goes in the same step)", () => {
    expect(commands({ rate: "5mbit", delayMs: 10, up: true }, ALL, { rate: "5mbit", up: true })[0]).toBe(
      `${TC} qdisc replace dev eth0 root handle 5: netem delay 10ms`,
    );
    expect(commands({ rate: "5mbit", up: true }, ALL, { rate: "5mbit", delayMs: 10, up: true })).toEqual([
      `${TC} qdisc replace dev eth0 root handle 1: tbf rate 5000000bit burst 6250 latency 50ms`,
      UP,
    ]);
  });
  it("shaping no longer asked for is removed: the root qdisc, the loss chain", () => {
    expect(commands({ up: true }, CI, { rate: "10mbit", lossPercent: 5, up: true })).toEqual([
      `${TC} qdisc del dev eth0 root`,
      `${NFT} 'delete chain netdev nepi_r1 loss_eth0'`,
      UP,
    ]);
    // Loss moves from the nftables rule to netem where the kernel has it: only netem then.
    expect(commands({ lossPercent: 5, up: true }, ALL, { up: true })).toEqual([
      `${TC} qdisc replace dev eth0 root handle 2: netem loss 5%`,
      UP,
    ]);
  });
  it("a flap is the link's state alone", () => {
    const shaped = { rate: "10mbit", lossPercent: 1, up: true };
    expect(commands({ ...shaped, up: false }, CI, shaped).at(-1)).toBe("ip -n nepi-r1-h3 link set dev eth0 down");
    expect(commands(shaped, CI, { ...shaped, up: false }).at(-1)).toBe(UP);
  });
  it("clearing removes exactly what was applied", () => {
    expect(clearShapingCommands(T, { rate: "10mbit", lossPercent: 5, up: true }, CI)).toEqual([
      `${TC} qdisc del dev eth0 root`,
      `${NFT} 'delete chain netdev nepi_r1 loss_eth0'`,
    ]);
    expect(clearShapingCommands(T, { up: false }, CI)).toEqual([]);
  });
});
