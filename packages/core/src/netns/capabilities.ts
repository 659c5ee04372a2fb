/**
 * What a machine's kernel can do for shaping and tunnels, found by trying each feature for real:
 * a module may be missing, blacklisted or built out, and only the attempt tells.
 */
export interface KernelCapabilities {
  netem: boolean;
  tbf: boolean;
  htb: boolean;
  clsact: boolean;
  /** nf_tables with a netdev ingress chain and numgen (the loss rule). */
  nftables: boolean;
  vxlan: boolean;
}

export const CAPABILITY_NAMES = [
  "netem",
  "tbf",
  "htb",
  "clsact",
  "nftables",
  "vxlan",
] as const satisfies readonly (keyof KernelCapabilities)[];

/**
 * A shell script (run as root) that tries each feature in a throw-away namespace on a veth pair
 * and prints one line per feature, `<name> yes|no`. The namespace goes with the script.
 */
export function capabilityProbeScript(): string {
  const tryIt = (name: string, command: string) =>
    `if ${command} >/dev/null 2>&1; then echo "${name} yes"; else echo "${name} no"; fi`;
  return [
    "set -u",
    'ns="nepi-probe-$$"',
    'ip netns add "$ns" || exit 1',
    `trap 'ip netns del "$ns" 2>/dev/null' EXIT`,
    'ip -n "$ns" link add p0 type veth peer name p1 || exit 1',
    tryIt("netem", 'tc -n "$ns" qdisc replace dev p0 root handle 2: netem delay 1ms loss 1%'),
    tryIt("tbf", 'tc -n "$ns" qdisc replace dev p0 root handle 1: tbf rate 1mbit burst 6056 latency 50ms'),
    tryIt("htb", 'tc -n "$ns" qdisc replace dev p0 root handle 4: htb default 1'),
    tryIt("clsact", 'tc -n "$ns" qdisc add dev p1 clsact'),
    tryIt(
      "nftables",
      `ip netns exec "$ns" nft 'add table netdev probe ; add chain netdev probe c { type filter hook ingress device "p0" priority 0 ; } ; add rule netdev probe c numgen random mod 100 lt 1 drop'`,
    ),
    tryIt("vxlan", 'ip -n "$ns" link add vx0 type vxlan id 42 dstport 4789'),
  ].join("\n");
}

/** The capabilities the probe printed; throws when its output is not a probe's (it failed to run). */
export function parseCapabilities(stdout: string): KernelCapabilities {
  const found = new Map<string, boolean>();
  for (const line of stdout.split("\n")) {
    const m = /^(\w+) (yes|no)$/.exec(line.trim());
    if (m) found.set(m[1]!, m[2] === "yes");
  }
  const missing = CAPABILITY_NAMES.filter((n) => !found.has(n));
  if (missing.length > 0)
    throw new Error(
      `the kernel capability probe did not report ${missing.join(", ")} (it needs root and iproute2): ${stdout.trim() || "no output"}`,
    );
  return Object.fromEntries(CAPABILITY_NAMES.map((n) => [n, found.get(n)!])) as unknown as KernelCapabilities;
}
