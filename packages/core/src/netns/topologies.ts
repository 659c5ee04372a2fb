import { NETNS_LINK } from "../catalog/types/netns-link.js";
import { NETNS_NODE } from "../catalog/types/netns-node.js";
import { NETNS_SWITCH } from "../catalog/types/netns-switch.js";
import type { AttributeValue } from "../model/catalog-schema.js";
import type { ConnectionDoc, ResourceDoc } from "../model/document.js";
import { NepiError } from "../model/errors.js";
import { timeStringProblem } from "../model/time.js";
import { LINK_COUNTERS_TRACE } from "../parsers/link-counters.js";
import { parseRate } from "./label.js";

/**
 * Topology generators for "Insert topology…": a whole network of namespace hosts, switches and
 * links from a few numbers, laid out so it reads at a glance. Pure and browser-safe.
 */
export type TopologyKind = "line" | "ring" | "star" | "tree" | "grid";

export const TOPOLOGY_KINDS: readonly TopologyKind[] = ["line", "ring", "star", "tree", "grid"];

/** The shaping every generated link starts with (empty: unlimited, no delay, no loss). */
export interface LinkDefaults {
  rate?: string;
  delay?: string;
  loss?: number;
}

export interface TopologySpec {
  kind: TopologyKind;
  /** line, ring, star: how many hosts. */
  hosts?: number;
  /** tree: levels below the root router, and children per router. */
  depth?: number;
  fanout?: number;
  /** grid: hosts per column and per row. */
  rows?: number;
  cols?: number;
  link?: LinkDefaults;
  /** The guid of the machine (a `machine`-role resource) to build it on; none: this machine. */
  machine?: number;
}

export interface TopologyOptions {
  /** The first guid to give (the design's next free one). */
  firstGuid: number;
  /** Labels already in the design: the generated ones never repeat them. */
  takenLabels?: Iterable<string>;
  /** Where the topology's top-left corner goes. */
  origin?: { x: number; y: number };
}

/** What to add to the design: resources with their positions and the connections between them. */
export interface Topology {
  resources: (ResourceDoc & { position: { x: number; y: number } })[];
  connections: ConnectionDoc[];
  /** How many of each it made. */
  counts: { hosts: number; switches: number; links: number };
}

/** More resources than this in one topology is a typo, not an experiment. */
export const MAX_TOPOLOGY_NODES = 5000;

/** A node's box on the canvas is about 200 × 90: the spacings leave room for the link labels. */
const STEP_X = 400;
const STEP_Y = 220;
/** Room along a circle per host. */
const ARC_PER_HOST = 240;

type Point = { x: number; y: number };
type Endpoint = { guid: number; position: Point };

function whole(spec: TopologySpec, field: "hosts" | "depth" | "fanout" | "rows" | "cols", min: number): number {
  const value = spec[field];
  if (value === undefined || !Number.isInteger(value) || value < min) {
    throw new NepiError(
      "BAD_VALUE",
      `${field}: a ${spec.kind} needs a whole number of at least ${min}, got ${String(value)}`,
      field,
    );
  }
  return value;
}

function checkSize(spec: TopologySpec, nodes: number): void {
  if (nodes > MAX_TOPOLOGY_NODES) {
    throw new NepiError(
      "BAD_VALUE",
      `${spec.kind === "tree" ? "depth" : spec.kind === "grid" ? "rows" : "hosts"}: this ${spec.kind} has ${nodes} hosts and switches, more than the ${MAX_TOPOLOGY_NODES} allowed`,
      spec.kind === "tree" ? "depth" : spec.kind === "grid" ? "rows" : "hosts",
    );
  }
}

function linkAttributes(link: LinkDefaults | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  const rate = link?.rate?.trim();
  if (rate) {
    if (parseRate(rate) === undefined)
      throw new NepiError(
        "BAD_VALUE",
        `link.rate: "${rate}" is not a rate as tc writes it (10mbit, 512kbit, 1gbit)`,
        "link.rate",
      );
    out.rate = rate;
  }
  const delay = link?.delay?.trim();
  if (delay) {
    const problem = timeStringProblem(delay);
    if (problem) throw new NepiError("BAD_VALUE", `link.delay: ${problem}`, "link.delay");
    out.delay = delay;
  }
  const loss = link?.loss ?? 0;
  if (!Number.isFinite(loss) || loss < 0 || loss > 100)
    throw new NepiError("BAD_VALUE", `link.loss: a percentage from 0 to 100, got ${loss}`, "link.loss");
  if (loss > 0) out.loss = loss;
  return out;
}

/** Builds the resources one by one: guids in order, labels that are not taken yet. */
class Builder {
  readonly topology: Topology = { resources: [], connections: [], counts: { hosts: 0, switches: 0, links: 0 } };
  private guid: number;
  private readonly taken: Set<string>;
  private readonly counters = new Map<string, number>();

  constructor(
    opts: TopologyOptions,
    private readonly linkValues: Record<string, AttributeValue>,
    private readonly machine: number | undefined,
  ) {
    this.guid = opts.firstGuid;
    this.taken = new Set(opts.takenLabels ?? []);
  }

  private label(prefix: string): string {
    let n = this.counters.get(prefix) ?? 0;
    let label: string;
    do label = `${prefix}${++n}`;
    while (this.taken.has(label));
    this.counters.set(prefix, n);
    this.taken.add(label);
    return label;
  }

  private add(
    type: string,
    prefix: string,
    attributes: Record<string, AttributeValue>,
    traces: string[],
    position: Point,
  ): number {
    const guid = this.guid++;
    this.topology.resources.push({ guid, type, label: this.label(prefix), attributes, traces, position });
    return guid;
  }

  private onMachine(guid: number): void {
    if (this.machine !== undefined) this.topology.connections.push({ source: guid, target: this.machine });
  }

  host(position: Point, forwarding: boolean): Endpoint {
    const guid = this.add(NETNS_NODE.rtype, forwarding ? "r" : "h", forwarding ? { forwarding: true } : {}, [], position);
    this.topology.counts.hosts++;
    this.onMachine(guid);
    return { guid, position };
  }

  switch(position: Point): Endpoint {
    const guid = this.add(NETNS_SWITCH.rtype, "s", {}, [], position);
    this.topology.counts.switches++;
    this.onMachine(guid);
    return { guid, position };
  }

  link(a: Endpoint, b: Endpoint): void {
    // Its box (shown only when it is not drawn as an edge) sits halfway.
    const middle = { x: (a.position.x + b.position.x) / 2, y: (a.position.y + b.position.y) / 2 };
    const guid = this.add(NETNS_LINK.rtype, "l", { ...this.linkValues }, [LINK_COUNTERS_TRACE], middle);
    this.topology.counts.links++;
    this.topology.connections.push({ source: guid, target: a.guid }, { source: guid, target: b.guid });
  }
}

function circle(n: number, radius: number, i: number, center: Point): Point {
  const angle = (2 * Math.PI * i) / n - Math.PI / 2;
  return { x: center.x + radius * Math.cos(angle), y: center.y + radius * Math.sin(angle) };
}

/** Radius at which `n` hosts get their room on one circle (never under `min`). */
function radiusFor(n: number, min: number): number {
  return Math.max(min, (n * ARC_PER_HOST) / (2 * Math.PI));
}

function line(b: Builder, n: number): void {
  let previous: Endpoint | undefined;
  for (let i = 0; i < n; i++) {
    // The hosts in between pass the packets on: a 3-host line pings end to end.
    const host = b.host({ x: i * STEP_X, y: 0 }, i > 0 && i < n - 1);
    if (previous) b.link(previous, host);
    previous = host;
  }
}

function ring(b: Builder, n: number): void {
  const radius = radiusFor(n, 250);
  const hosts = Array.from({ length: n }, (_, i) => b.host(circle(n, radius, i, { x: 0, y: 0 }), true));
  for (let i = 0; i < n; i++) b.link(hosts[i]!, hosts[(i + 1) % n]!);
}

/** A star: the switch in the middle, the hosts on circles around it (more circles when many). */
function star(b: Builder, n: number): void {
  const hub = b.switch({ x: 0, y: 0 });
  const first = 320;
  const spacing = 180;
  let placed = 0;
  for (let ring = 0; placed < n; ring++) {
    const radius = first + ring * spacing;
    const room = Math.max(6, Math.floor((2 * Math.PI * radius) / ARC_PER_HOST));
    const count = Math.min(room, n - placed);
    // A lone last circle spreads its hosts evenly rather than bunching them.
    for (let i = 0; i < count; i++) b.link(hub, b.host(circle(count, radius, i, { x: 0, y: 0 }), false));
    placed += count;
  }
}

/** A tree: a router at the root, `fanout` children per router, hosts at the leaves; by levels. */
function tree(b: Builder, depth: number, fanout: number): void {
  const leaves = fanout ** depth;
  const width = (leaves - 1) * STEP_X;
  const place = (level: number, index: number): Point => {
    // A node at `level` spans fanout^(depth-level) leaves: it sits above their middle.
    const span = fanout ** (depth - level);
    return { x: ((index + 0.5) * span - 0.5) * STEP_X - width / 2, y: level * STEP_Y };
  };
  let parents = [b.host(place(0, 0), true)];
  for (let level = 1; level <= depth; level++) {
    const children: Endpoint[] = [];
    for (const [p, parent] of parents.entries()) {
      for (let c = 0; c < fanout; c++) {
        const child = b.host(place(level, p * fanout + c), level < depth);
        b.link(parent, child);
        children.push(child);
      }
    }
    parents = children;
  }
}

/** A grid of routers, each linked to its right and lower neighbours. */
function grid(b: Builder, rows: number, cols: number): void {
  const at: Endpoint[][] = [];
  for (let r = 0; r < rows; r++) {
    const row: Endpoint[] = [];
    for (let c = 0; c < cols; c++) {
      const host = b.host({ x: c * STEP_X, y: r * STEP_Y }, true);
      if (c > 0) b.link(row[c - 1]!, host);
      if (r > 0) b.link(at[r - 1]![c]!, host);
      row.push(host);
    }
    at.push(row);
  }
}

/**
 * The resources and connections of a topology. Throws NepiError("BAD_VALUE") naming the field
 * (hosts, depth, fanout, rows, cols, link.rate…) when the numbers make no topology.
 */
export function generateTopology(spec: TopologySpec, opts: TopologyOptions): Topology {
  if (!TOPOLOGY_KINDS.includes(spec.kind))
    throw new NepiError("BAD_VALUE", `kind: expected one of ${TOPOLOGY_KINDS.join(", ")}, got "${String(spec.kind)}"`, "kind");
  if (!Number.isInteger(opts.firstGuid) || opts.firstGuid < 1)
    throw new NepiError("BAD_VALUE", `firstGuid: expected a positive whole number, got ${opts.firstGuid}`, "firstGuid");
  const b = new Builder(opts, linkAttributes(spec.link), spec.machine);
  switch (spec.kind) {
    case "line": {
      const n = whole(spec, "hosts", 2);
      checkSize(spec, n);
      line(b, n);
      break;
    }
    case "ring": {
      const n = whole(spec, "hosts", 3);
      checkSize(spec, n);
      ring(b, n);
      break;
    }
    case "star": {
      const n = whole(spec, "hosts", 1);
      checkSize(spec, n + 1);
      star(b, n);
      break;
    }
    case "tree": {
      const depth = whole(spec, "depth", 1);
      const fanout = whole(spec, "fanout", 1);
      // Counted before anything is built: a depth of 30 must not build first.
      let nodes = 0;
      for (let level = 0, width = 1; level <= depth && nodes <= MAX_TOPOLOGY_NODES; level++, width *= fanout) nodes += width;
      checkSize(spec, nodes);
      tree(b, depth, fanout);
      break;
    }
    case "grid": {
      const rows = whole(spec, "rows", 1);
      const cols = whole(spec, "cols", 1);
      if (rows * cols < 2) throw new NepiError("BAD_VALUE", "cols: a grid needs at least 2 hosts", "cols");
      checkSize(spec, rows * cols);
      grid(b, rows, cols);
      break;
    }
  }
  return placedAt(b.topology, opts.origin ?? { x: 0, y: 0 });
}

/** Moves the topology so its top-left corner is at `origin`, on whole pixels. */
function placedAt(topology: Topology, origin: Point): Topology {
  let minX = Infinity;
  let minY = Infinity;
  for (const r of topology.resources) {
    minX = Math.min(minX, r.position.x);
    minY = Math.min(minY, r.position.y);
  }
  for (const r of topology.resources) {
    r.position = { x: Math.round(r.position.x - minX + origin.x), y: Math.round(r.position.y - minY + origin.y) };
  }
  return topology;
}
