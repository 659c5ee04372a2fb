import { namespacePrefix } from "./names.js";
import type { PlannedEnd, TopologyPlan } from "./plan.js";

/**
 * Shell scripts that build and remove a planned network on one machine in few processes.
 * Measured here (iproute2 6.1): `ip -batch` takes `netns add` and `link add … netns A type veth
 * peer name … netns B` lines but no per-line `-n`; an address added before a device moves is
 * lost in the move; so the namespaces and the devices are one `ip -batch`, and each namespace's
 * addresses, routes and ports are one `ip -n NS -batch` (about 4 ms, against about 7 ms for
 * `ip netns exec`), run a few at a time. Routers get forwarding through `nsenter --net` (no
 * mount namespace to set up, unlike `ip netns exec`).
 */

/** The MTU of every device on a segment with a VXLAN link: 1500 less VXLAN's 50 bytes of headers. */
export const VXLAN_MTU = 1450;

/**
 * On a segment of more hosts than this, every ARP request is flooded to hundreds of ports and a
 * busy machine answers late: a host asks CROWDED_ARP_PROBES times, a second apart, rather than
 * the kernel's 3 before it calls a neighbour unreachable (measured: with 3, 6 to 19 of 999
 * pings to a star's hub failed with "Destination Host Unreachable" at load 6–12).
 */
export const CROWDED_SEGMENT = 256;
export const CROWDED_ARP_PROBES = 20;

/** The `ip -n NS -batch` lines for a host's device `dev` on `segment`: more ARP probes when it is crowded. */
export function crowdedSegmentLines(plan: TopologyPlan, segment: number, dev: string): string[] {
  return plan.segments[segment]!.hosts.length > CROWDED_SEGMENT
    ? [`ntable change name arp_cache dev ${dev} mcast_probes ${CROWDED_ARP_PROBES}`]
    : [];
}

/** A here-document that writes `lines` to `file` (the delimiter cannot occur in iproute2 lines). */
function heredoc(file: string, lines: string[]): string {
  return `cat > ${file} <<'NEPI_EOF'\n${lines.join("\n")}\nNEPI_EOF`;
}

function onMachine(e: PlannedEnd, machine: string): boolean {
  return e.machine === machine;
}

/** The `ip -batch` lines of the machine itself: every namespace, then every link end made here. */
function rootLines(plan: TopologyPlan, machine: string): string[] {
  const lines: string[] = [];
  for (const n of [...Object.values(plan.hosts), ...Object.values(plan.switches)])
    if (n.machine === machine) lines.push(`netns add ${n.namespace}`);
  for (const l of Object.values(plan.links)) {
    const [a, b] = l.ends;
    if (l.kind === "veth") {
      if (onMachine(a, machine))
        lines.push(`link add ${a.dev} netns ${a.namespace} type veth peer name ${b.dev} netns ${b.namespace}`);
      continue;
    }
    // A VXLAN end is made in the machine's own namespace, so it keeps using its addresses.
    const { vni, port, underlay } = l.vxlan!;
    l.ends.forEach((e, i) => {
      if (!onMachine(e, machine)) return;
      lines.push(
        `link add ${e.dev} netns ${e.namespace} type vxlan id ${vni} local ${underlay[i]} remote ${underlay[1 - i]} dstport ${port}`,
      );
    });
  }
  return lines;
}

/** Per namespace of this machine: its `ip -n NS -batch` lines. */
function namespaceLines(plan: TopologyPlan, machine: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const withVxlan = new Set(
    Object.values(plan.links)
      .filter((l) => l.kind === "vxlan")
      .map((l) => l.segment),
  );
  const linkOf = new Map(Object.values(plan.links).map((l) => [l.guid, l]));
  for (const s of Object.values(plan.switches)) {
    if (s.machine !== machine) continue;
    const lines = ["link set lo up", `link add ${s.bridge} type bridge`, `link set ${s.bridge} up`];
    for (const l of Object.values(plan.links))
      for (const e of l.ends)
        if (e.guid === s.guid) {
          const mtu = withVxlan.has(l.segment) ? ` mtu ${VXLAN_MTU}` : "";
          lines.push(`link set ${e.dev}${mtu} master ${s.bridge} up`);
        }
    out.set(s.namespace, lines);
  }
  for (const h of Object.values(plan.hosts)) {
    if (h.machine !== machine) continue;
    const lines = ["link set lo up"];
    for (const a of h.addresses) {
      const mtu = withVxlan.has(linkOf.get(a.link)!.segment) ? ` mtu ${VXLAN_MTU}` : "";
      lines.push(`addr add ${a.cidr} dev ${a.dev}`, `link set ${a.dev}${mtu} up`);
      lines.push(...crowdedSegmentLines(plan, a.segment, a.dev));
    }
    for (const r of h.routes) lines.push(`route replace ${r.to} via ${r.via} dev ${r.dev}`);
    out.set(h.namespace, lines);
  }
  return out;
}

/**
 * Lines that raise the machine's neighbour-table limits (ARP and NDP) to what `ends` addresses
 * need, never lowering them. The table is one for all namespaces (3.x+ kernels): with the
 * default hard limit of 1,024 entries, a star of 1,000 hosts (the hub's 999 neighbours plus one
 * each) overflows it and pings go unanswered.
 */
export function neighbourLimitCommands(ends: number): string[] {
  const limits = { gc_thresh1: ends, gc_thresh2: 2 * ends + 512, gc_thresh3: 4 * ends + 1024 };
  return ["ipv4", "ipv6"].flatMap((family) =>
    Object.entries(limits).map(([name, value]) => {
      const f = `/proc/sys/net/${family}/neigh/default/${name}`;
      return `[ ! -w ${f} ] || [ "$(cat ${f})" -ge ${value} ] || echo ${value} > ${f}`;
    }),
  );
}

/**
 * Lines that raise the machine's per-CPU receive backlog (`netdev_max_backlog`, default 1,000
 * packets) for a network of `ends` addresses, never lowering it: a bridge floods each broadcast
 * (an ARP request) to all its ports at once, and on a 1,000-host star the default dropped
 * 1.9 million packets and 3 of 999 concurrent pings (20,000: a quarter of the drops, none failed).
 */
export function backlogCommands(ends: number): string[] {
  const f = "/proc/sys/net/core/netdev_max_backlog";
  const value = 20 * ends;
  return [`[ ! -w ${f} ] || [ "$(cat ${f})" -ge ${value} ] || echo ${value} > ${f}`];
}

export interface BuildOptions {
  /** How many `ip -n` processes run at once (default 4). */
  parallel?: number;
}

/**
 * The script (for `sh`, as root) that builds this machine's part of the plan. It fails, with
 * iproute2's own message, at the first command that fails; what it made by then is removed by
 * `removeNetworkScript`. Shaping is apart (`shapingCommands`, per link).
 */
export function buildNetworkScript(plan: TopologyPlan, machine: string, options: BuildOptions = {}): string {
  const perNamespace = namespaceLines(plan, machine);
  const routers = Object.values(plan.hosts).filter((h) => h.machine === machine && h.forwarding);
  const parallel = Math.max(1, Math.floor(options.parallel ?? 4));
  const ends = Object.values(plan.hosts)
    .filter((h) => h.machine === machine)
    .reduce((n, h) => n + h.addresses.length, 0);
  return [
    "set -eu",
    ...neighbourLimitCommands(ends),
    ...backlogCommands(ends),
    `d=$(mktemp -d /tmp/nepi-net-${plan.tag}.XXXXXX)`,
    `trap 'rm -rf "$d"' EXIT`,
    heredoc('"$d/root"', rootLines(plan, machine)),
    'ip -batch "$d/root"',
    'mkdir "$d/ns"',
    ...[...perNamespace].map(([ns, lines]) => heredoc(`"$d/ns/${ns}"`, lines)),
    // xargs exits non-zero when any of them failed.
    ...(perNamespace.size > 0 ? [`(cd "$d/ns" && ls | xargs -P ${parallel} -I{} ip -n {} -batch {})`] : []),
    ...routers.map((r) => `nsenter --net=/run/netns/${r.namespace} sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'`),
  ].join("\n");
}

/**
 * The script that removes every namespace of the run `tag` on the machine — with its devices,
 * bridges, qdiscs and nftables rules — after killing what still runs in them (a process keeps a
 * deleted namespace alive, unreachable). It needs nothing but the tag, so a clean-up after a
 * crash finds everything; it does nothing when there is nothing.
 */
export function removeNetworkScript(tag: string, only?: readonly string[]): string {
  const prefix = namespacePrefix(tag);
  return [
    "set -u",
    "[ -d /run/netns ] || exit 0",
    "cd /run/netns",
    // `only`: just these of the run's namespaces (a machine's own, where machines share /run).
    only
      ? `set --; for n in ${only.filter((n) => n.startsWith(prefix)).join(" ")}; do [ -e "$n" ] && set -- "$@" "$n"; done`
      : `set -- ${prefix}*`,
    '[ $# -gt 0 ] && [ -e "$1" ] || exit 0',
    // The processes whose network namespace is one of these (one find, not one `ip netns pids` each).
    `inodes=$(stat -L -c '%i' "$@")`,
    `pids=$(find /proc/[0-9]*/ns/net -maxdepth 0 -printf '%l %p\\n' 2>/dev/null | awk -v list="$inodes" 'BEGIN { n = split(list, a); for (i = 1; i <= n; i++) want["net:[" a[i] "]"] = 1 } want[$1] { split($2, p, "/"); print p[3] }')`,
    '[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true',
    `printf 'netns del %s\\n' "$@" | ip -force -batch -`,
  ].join("\n");
}

/** The script that lists the namespaces of the run `tag` still on the machine, one a line (for checks). */
export function listNetworkScript(tag: string): string {
  return `ip netns list | awk '{ print $1 }' | grep '^${namespacePrefix(tag)}' || true`;
}
