import { NepiError, type NepiErrorCode } from "../model/errors.js";
import {
  formatIpv4,
  formatSubnet,
  hostAddress,
  overlaps,
  parseIpv4,
  parseSubnet,
  subnetSize,
  usableHosts,
  type Subnet,
} from "./ipv4.js";
import { BRIDGE, MAX_DEVICE_NAME, checkTag, hostDevice, hostNamespace, switchNamespace, switchPort } from "./names.js";

/**
 * The planner: from the design's hosts, switches and links to everything the kernel needs —
 * namespaces, device names, segments with their subnets, addresses and static routes. Pure and
 * browser-safe, so the designer can show addresses before a deploy and the managers build
 * exactly what it says.
 */

export interface TopologyEndpoint {
  guid: number;
  label?: string;
  kind: "host" | "switch";
  /** The machine it is built on: the machine resource's guid as a string, or "local". */
  machine: string;
  /** Hosts only: it routes packets between its links. */
  forwarding: boolean;
}

export interface TopologyLinkInput {
  guid: number;
  label?: string;
  ends: [number, number];
  /** CIDR; empty or absent: allocated from the pool. */
  subnet?: string;
}

export interface TopologyInput {
  /** Short run tag used in kernel names (see names.ts). */
  tag: string;
  endpoints: TopologyEndpoint[];
  links: TopologyLinkInput[];
  /** Where allocated subnets come from (default 10.100.0.0/16). */
  pool?: string;
  /** Each machine's own address, as the other machines reach it: the underlay of VXLAN links. */
  underlay?: Record<string, string>;
}

export const DEFAULT_POOL = "10.100.0.0/16";
/** VXLAN's IANA port. */
export const VXLAN_PORT = 4789;

export interface Route {
  /** Destination subnet, CIDR. */
  to: string;
  via: string;
  dev: string;
}

export interface HostAddress {
  segment: number;
  /** The link this address is on. */
  link: number;
  dev: string;
  ip: string;
  /** ip with the segment's prefix: what `ip addr add` takes. */
  cidr: string;
}

export interface PlannedHost {
  guid: number;
  label?: string;
  machine: string;
  namespace: string;
  forwarding: boolean;
  /** In the order of its links' guids (eth0 first). */
  addresses: HostAddress[];
  routes: Route[];
}

export interface PlannedSwitch {
  guid: number;
  label?: string;
  machine: string;
  /** The switch's own namespace, where its bridge and ports live. */
  namespace: string;
  bridge: string;
}

export interface PlannedEnd {
  /** The host or switch at this end. */
  guid: number;
  kind: "host" | "switch";
  machine: string;
  namespace: string;
  dev: string;
  /** Host ends: the address, CIDR. */
  address?: string;
  /** Switch ends: the bridge the port joins. */
  bridge?: string;
}

export interface PlannedLink {
  guid: number;
  kind: "veth" | "vxlan";
  segment: number;
  /** In ascending guid order of the ends (end 1, end 2 of the counters trace). */
  ends: [PlannedEnd, PlannedEnd];
  /** VXLAN links: the network identifier, the UDP port and the machines' addresses (end 1, end 2). */
  vxlan?: { vni: number; port: number; underlay: [string, string] };
}

export interface PlannedSegment {
  id: number;
  /** CIDR; absent when no host is on it and the design gave none. */
  subnet?: string;
  links: number[];
  switches: number[];
  hosts: number[];
}

export interface TopologyPlan {
  tag: string;
  hosts: Record<number, PlannedHost>;
  switches: Record<number, PlannedSwitch>;
  links: Record<number, PlannedLink>;
  segments: PlannedSegment[];
}

function fail(code: NepiErrorCode, guid: number, field: string, message: string): never {
  const path = `resources[guid=${guid}].${field}`;
  throw new NepiError(code, message, path, [{ path, message, code, guid, severity: "error" }]);
}

function nameOf(e: { guid: number; label?: string }, type: string): string {
  return `${type} ${e.guid}${e.label ? ` (${e.label})` : ""}`;
}

/** Segments: a host–host link is one; links meeting at switches (or switch–switch) share one. */
function groupSegments(links: TopologyLinkInput[], kindOf: (g: number) => "host" | "switch"): TopologyLinkInput[][] {
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const union = (a: number, b: number) => parent.set(find(a), find(b));
  // Union-find over links (keyed by guid) and switches (keyed by −1 − guid, apart from links).
  const sw = (g: number) => -1 - g;
  for (const l of links) {
    parent.set(l.guid, l.guid);
    for (const e of l.ends) if (kindOf(e) === "switch" && !parent.has(sw(e))) parent.set(sw(e), sw(e));
  }
  for (const l of links) for (const e of l.ends) if (kindOf(e) === "switch") union(l.guid, sw(e));
  const groups = new Map<number, TopologyLinkInput[]>();
  for (const l of links) {
    const root = find(l.guid);
    const group = groups.get(root);
    if (group) group.push(l);
    else groups.set(root, [l]);
  }
  return [...groups.values()];
}

/** The prefix a segment with `hosts` hosts gets from the pool: /30 point to point, at least /24 on a switch. */
function allocatedPrefix(hosts: number, onSwitch: boolean): number {
  if (!onSwitch) return 30;
  let prefix = 24;
  while (usableHosts(prefix) < hosts) prefix--;
  return prefix;
}

/**
 * Hands out aligned blocks of the pool past a cursor, skipping the explicit subnets. Asked for
 * the largest blocks first, so the cursor only moves forward and the small point-to-point blocks
 * do not fragment the pool.
 */
function allocator(pool: Subnet, explicit: Subnet[]): (prefix: number) => Subnet | undefined {
  let cursor = pool.base;
  const end = pool.base + subnetSize(pool.prefix);
  const alignUp = (n: number, size: number) => Math.ceil(n / size) * size;
  return (prefix) => {
    const size = subnetSize(prefix);
    let base = alignUp(cursor, size);
    for (;;) {
      if (base + size > end) return undefined;
      const candidate = { base, prefix };
      const clash = explicit.find((t) => overlaps(t, candidate));
      if (!clash) break;
      base = alignUp(clash.base + subnetSize(clash.prefix), size);
    }
    cursor = base + size;
    return { base, prefix };
  };
}

/** A VXLAN network identifier per link, the same on both machines, distinct between runs' tags. */
function vniFor(tag: string, linkIndex: number): number {
  let h = 2166136261;
  for (const c of tag) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  // 12 bits from the tag, 12 bits for the link (VNIs are 24 bits; 0 is avoided).
  return ((h & 0xfff) << 12) | ((linkIndex + 1) & 0xfff);
}

/**
 * Plans a topology, or throws a NepiError naming the resource (guid, label) and the field: a
 * link that does not join two known endpoints, a host joined twice to one segment, a subnet that
 * is malformed, too small or overlapping another, a pool that is full.
 */
export function planTopology(input: TopologyInput): TopologyPlan {
  checkTag(input.tag);
  const endpoints = new Map(input.endpoints.map((e) => [e.guid, e]));
  const links = [...input.links].sort((a, b) => a.guid - b.guid);
  for (const l of links) {
    const [a, b] = l.ends;
    for (const e of l.ends)
      if (!endpoints.has(e))
        fail(
          "BAD_CONNECTION",
          l.guid,
          "connections",
          `${nameOf(l, "netns::Link")} is connected to ${e}, which is no host or switch`,
        );
    if (a === b) fail("BAD_CONNECTION", l.guid, "connections", `${nameOf(l, "netns::Link")} joins ${a} to itself`);
  }
  const poolText = input.pool ?? DEFAULT_POOL;
  const pool = parseSubnet(poolText);
  if (typeof pool === "string") throw new NepiError("BAD_VALUE", `address pool: ${pool}`, "pool");

  const hosts: Record<number, PlannedHost> = {};
  const switches: Record<number, PlannedSwitch> = {};
  for (const e of [...input.endpoints].sort((a, b) => a.guid - b.guid)) {
    const common = { guid: e.guid, ...(e.label ? { label: e.label } : {}), machine: e.machine };
    if (e.kind === "host")
      hosts[e.guid] = {
        ...common,
        namespace: hostNamespace(input.tag, e.guid),
        forwarding: e.forwarding,
        addresses: [],
        routes: [],
      };
    else switches[e.guid] = { ...common, namespace: switchNamespace(input.tag, e.guid), bridge: BRIDGE };
  }

  // Device names: a host's links in ascending guid order are eth0, eth1, …; a switch port is p<link>.
  const devices = new Map<string, string>(); // `${link}:${end}` → name
  const perHost = new Map<number, number>();
  for (const l of links)
    for (const e of l.ends) {
      const dev = endpoints.get(e)!.kind === "host" ? hostDevice(perHost.get(e) ?? 0) : switchPort(l.guid);
      if (endpoints.get(e)!.kind === "host") perHost.set(e, (perHost.get(e) ?? 0) + 1);
      if (dev.length > MAX_DEVICE_NAME)
        fail(
          "BAD_VALUE",
          l.guid,
          "guid",
          `${nameOf(l, "netns::Link")}: device name ${dev} is longer than ${MAX_DEVICE_NAME} characters`,
        );
      devices.set(`${l.guid}:${e}`, dev);
    }

  // Segments and their subnets: explicit ones first (checked against each other), then the pool.
  const groups = groupSegments(links, (g) => endpoints.get(g)!.kind);
  const segments: PlannedSegment[] = [];
  const subnets: (Subnet | undefined)[] = [];
  const taken: { subnet: Subnet; link: TopologyLinkInput }[] = [];
  groups.forEach((group, id) => {
    const hostEnds = group.flatMap((l) => l.ends.filter((e) => endpoints.get(e)!.kind === "host").map((h) => ({ h, l })));
    const seen = new Map<number, TopologyLinkInput>();
    for (const { h, l } of hostEnds) {
      const other = seen.get(h);
      if (other)
        fail(
          "BAD_CONNECTION",
          l.guid,
          "connections",
          `${nameOf(l, "netns::Link")} joins ${nameOf(endpoints.get(h)!, "netns::Node")} to a segment it is already on (by link ${other.guid})`,
        );
      seen.set(h, l);
    }
    const hostGuids = [...seen.keys()].sort((a, b) => a - b);
    const switchGuids = [...new Set(group.flatMap((l) => l.ends.filter((e) => endpoints.get(e)!.kind === "switch")))].sort(
      (a, b) => a - b,
    );
    segments.push({ id, links: group.map((l) => l.guid), switches: switchGuids, hosts: hostGuids });
    let explicit: { subnet: Subnet; link: TopologyLinkInput } | undefined;
    for (const l of group) {
      if (!l.subnet?.trim()) continue;
      const s = parseSubnet(l.subnet);
      if (typeof s === "string") fail("BAD_VALUE", l.guid, "attributes.subnet", `${nameOf(l, "netns::Link")}: subnet ${s}`);
      if (explicit && formatSubnet(explicit.subnet) !== formatSubnet(s))
        fail(
          "BAD_VALUE",
          l.guid,
          "attributes.subnet",
          `${nameOf(l, "netns::Link")}: subnet ${l.subnet} differs from ${formatSubnet(explicit.subnet)} of link ${explicit.link.guid} on the same switch (a switch and its links are one subnet)`,
        );
      explicit ??= { subnet: s, link: l };
    }
    if (explicit) {
      if (usableHosts(explicit.subnet.prefix) < hostGuids.length)
        fail(
          "BAD_VALUE",
          explicit.link.guid,
          "attributes.subnet",
          `${nameOf(explicit.link, "netns::Link")}: subnet ${formatSubnet(explicit.subnet)} has room for ${usableHosts(explicit.subnet.prefix)} hosts, its segment has ${hostGuids.length}`,
        );
      const clash = taken.find((t) => overlaps(t.subnet, explicit.subnet));
      if (clash)
        fail(
          "BAD_VALUE",
          explicit.link.guid,
          "attributes.subnet",
          `${nameOf(explicit.link, "netns::Link")}: subnet ${formatSubnet(explicit.subnet)} overlaps ${formatSubnet(clash.subnet)} of ${nameOf(clash.link, "netns::Link")}`,
        );
      taken.push(explicit);
    }
    subnets.push(explicit?.subnet);
  });
  // Largest blocks first, so the small point-to-point ones do not fragment the pool.
  const toAllocate = segments
    .filter((s) => !subnets[s.id] && s.hosts.length > 0)
    .map((s) => ({ s, prefix: allocatedPrefix(s.hosts.length, s.switches.length > 0) }))
    .sort((a, b) => a.prefix - b.prefix || a.s.id - b.s.id);
  const allocate = allocator(
    pool,
    taken.map((t) => t.subnet),
  );
  for (const { s, prefix } of toAllocate) {
    const block = allocate(prefix);
    if (!block)
      fail(
        "BAD_VALUE",
        s.links[0]!,
        "attributes.subnet",
        `the address pool ${poolText} has no free /${prefix} left for the segment of link ${s.links[0]}`,
      );
    subnets[s.id] = block;
  }

  // Addresses: the segment's hosts in ascending guid order take its first addresses.
  const addressOn = new Map<string, string>(); // `${segment}:${host}` → ip
  for (const s of segments) {
    const subnet = subnets[s.id];
    if (!subnet) continue;
    s.subnet = formatSubnet(subnet);
    s.hosts.forEach((h, n) => addressOn.set(`${s.id}:${h}`, formatIpv4(hostAddress(subnet, n))));
  }

  const segmentOf = new Map<number, number>();
  for (const s of segments) for (const l of s.links) segmentOf.set(l, s.id);
  const plannedLinks: Record<number, PlannedLink> = {};
  links.forEach((l, index) => {
    const seg = segmentOf.get(l.guid)!;
    const ordered = [...l.ends].sort((a, b) => a - b) as [number, number];
    const ends = ordered.map((g): PlannedEnd => {
      const e = endpoints.get(g)!;
      const dev = devices.get(`${l.guid}:${g}`)!;
      const namespace = e.kind === "host" ? hosts[g]!.namespace : switches[g]!.namespace;
      const end: PlannedEnd = { guid: g, kind: e.kind, machine: e.machine, namespace, dev };
      if (e.kind === "switch") end.bridge = BRIDGE;
      else {
        const ip = addressOn.get(`${seg}:${g}`)!;
        end.address = `${ip}/${subnets[seg]!.prefix}`;
        hosts[g]!.addresses.push({ segment: seg, link: l.guid, dev, ip, cidr: end.address });
      }
      return end;
    }) as [PlannedEnd, PlannedEnd];
    const planned: PlannedLink = { guid: l.guid, kind: "veth", segment: seg, ends };
    if (ends[0].machine !== ends[1].machine) {
      const underlay = ends.map((e) => {
        const address = input.underlay?.[e.machine];
        if (!address || parseIpv4(address) === undefined)
          fail(
            "BAD_CONNECTION",
            l.guid,
            "connections",
            `${nameOf(l, "netns::Link")} joins machines ${ends[0].machine} and ${ends[1].machine} (a VXLAN tunnel), but the address of machine ${e.machine} is not known`,
          );
        return address;
      }) as [string, string];
      planned.kind = "vxlan";
      planned.vxlan = { vni: vniFor(input.tag, index), port: VXLAN_PORT, underlay };
    }
    plannedLinks[l.guid] = planned;
  });

  for (const h of Object.values(hosts)) h.routes = routesFrom(h.guid, hosts, segments, addressOn, subnets);
  return { tag: input.tag, hosts, switches, links: plannedLinks, segments };
}

/**
 * A host's static routes: breadth-first over segments from the host's own, crossing only hosts
 * that forward; each segment reached is routed via the first forwarding host on the way.
 */
function routesFrom(
  origin: number,
  hosts: Record<number, PlannedHost>,
  segments: PlannedSegment[],
  addressOn: Map<string, string>,
  subnets: (Subnet | undefined)[],
): Route[] {
  const own = hosts[origin]!.addresses;
  const firstHop = new Map<number, { via: string; dev: string }>();
  const visited = new Set(own.map((a) => a.segment));
  // Queue entries: a segment reached, and the hop that leads there from the origin (none for its own).
  let frontier: { segment: number; hop?: { via: string; dev: string } }[] = own.map((a) => ({ segment: a.segment }));
  const ownDev = new Map(own.map((a) => [a.segment, a.dev]));
  while (frontier.length > 0) {
    const next: typeof frontier = [];
    for (const { segment, hop } of frontier)
      for (const g of segments[segment]!.hosts) {
        const router = hosts[g]!;
        if (g === origin || !router.forwarding) continue;
        for (const a of router.addresses) {
          if (visited.has(a.segment)) continue;
          visited.add(a.segment);
          const via = hop ?? { via: addressOn.get(`${segment}:${g}`)!, dev: ownDev.get(segment)! };
          firstHop.set(a.segment, via);
          next.push({ segment: a.segment, hop: via });
        }
      }
    frontier = next;
  }
  return [...firstHop.entries()]
    .filter(([seg]) => subnets[seg] !== undefined)
    .sort(([a], [b]) => a - b)
    .map(([seg, hop]) => ({ to: formatSubnet(subnets[seg]!), ...hop }));
}

/**
 * The address `${ip:LABEL}` stands for: the host's address on a segment it shares with `peer`
 * (the resource's own host), else its first address; undefined when it has none.
 */
export function addressOf(plan: TopologyPlan, hostGuid: number, peerHostGuid?: number): string | undefined {
  const host = plan.hosts[hostGuid];
  if (!host) return undefined;
  const peer = peerHostGuid === undefined ? undefined : plan.hosts[peerHostGuid];
  const shared = peer && host.addresses.find((a) => peer.addresses.some((p) => p.segment === a.segment));
  return (shared ?? host.addresses[0])?.ip;
}

const IP_PLACEHOLDER = /\$\{ip:([^}]*)\}/g;

/**
 * Replaces every `${ip:LABEL}` in `text` by the address of the host labelled LABEL as seen from
 * `ownHostGuid`; throws a NepiError naming the label when no host has it or it has no address.
 */
export function resolveIpPlaceholders(
  text: string,
  ownHostGuid: number | undefined,
  plan: TopologyPlan,
  labels: ReadonlyMap<string, number> | Record<string, number>,
): string {
  const lookup = (label: string): number | undefined =>
    labels instanceof Map ? (labels as ReadonlyMap<string, number>).get(label) : (labels as Record<string, number>)[label];
  return text.replace(IP_PLACEHOLDER, (_, label: string) => {
    const guid = lookup(label);
    if (guid === undefined || !plan.hosts[guid])
      throw new NepiError("BAD_VALUE", `\${ip:${label}}: no netns::Node is labelled "${label}"`);
    const ip = addressOf(plan, guid, ownHostGuid);
    if (!ip) throw new NepiError("BAD_VALUE", `\${ip:${label}}: ${label} has no address (it is on no link)`);
    return ip;
  });
}
