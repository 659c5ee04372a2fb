import { generateTopology, MACHINE_ROLE, type ResourceTypeInfo, type TopologyKind, type TopologySpec } from "@nepi/core";
import type { ResourceNode } from "./model";

/** What the "Insert topology…" dialog holds: the fields as typed. */
export interface TopologyForm {
  kind: TopologyKind;
  hosts: string;
  depth: string;
  fanout: string;
  rows: string;
  cols: string;
  rate: string;
  delay: string;
  loss: string;
  /** The machine's guid as a string; "" is this machine. */
  machine: string;
}

export const INITIAL_TOPOLOGY_FORM: TopologyForm = {
  kind: "star",
  hosts: "4",
  depth: "2",
  fanout: "2",
  rows: "3",
  cols: "3",
  rate: "10mbit",
  delay: "",
  loss: "0",
  machine: "",
};

/** Which size fields each kind asks for. */
export const SIZE_FIELDS: Record<TopologyKind, readonly ("hosts" | "depth" | "fanout" | "rows" | "cols")[]> = {
  line: ["hosts"],
  ring: ["hosts"],
  star: ["hosts"],
  tree: ["depth", "fanout"],
  grid: ["rows", "cols"],
};

function num(text: string): number | undefined {
  return text.trim() === "" ? undefined : Number(text);
}

/** The spec the form describes (only the fields of its kind). */
export function specOf(form: TopologyForm): TopologySpec {
  const spec: TopologySpec = {
    kind: form.kind,
    link: { rate: form.rate.trim(), delay: form.delay.trim(), loss: num(form.loss) ?? 0 },
  };
  for (const f of SIZE_FIELDS[form.kind]) spec[f] = num(form[f]);
  if (form.machine) spec.machine = Number(form.machine);
  return spec;
}

export type TopologyPreview =
  { ok: true; hosts: number; switches: number; links: number; text: string } | { ok: false; field: string; message: string };

/** What Insert would add ("13 hosts, 12 links"), or why it cannot (the field named), by core's generator. */
export function previewTopology(spec: TopologySpec): TopologyPreview {
  try {
    const { hosts, switches, links } = generateTopology(spec, { firstGuid: 1 }).counts;
    const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
    const parts = [
      plural(hosts, "host", "hosts"),
      ...(switches ? [plural(switches, "switch", "switches")] : []),
      plural(links, "link", "links"),
    ];
    return { ok: true, hosts, switches, links, text: parts.join(", ") };
  } catch (err) {
    return { ok: false, field: (err as { path?: string }).path ?? "", message: (err as Error).message };
  }
}

/** The design's machines a topology may be built on (resources of a type with the machine role). */
export function machinesOf(
  nodes: readonly ResourceNode[],
  catalog: Readonly<Record<string, ResourceTypeInfo>>,
): { guid: number; name: string }[] {
  return nodes
    .filter((n) => catalog[n.data.rtype]?.roles.includes(MACHINE_ROLE))
    .map((n) => ({ guid: n.data.guid, name: `${n.data.label || "unnamed"} #${n.data.guid}` }));
}

/** Where an inserted topology goes: below what the design has, so nothing lands on top of it. */
export function insertionPoint(nodes: readonly ResourceNode[]): { x: number; y: number } {
  if (!nodes.length) return { x: 0, y: 0 };
  let minX = Infinity;
  let maxY = -Infinity;
  for (const n of nodes) {
    minX = Math.min(minX, n.position.x);
    maxY = Math.max(maxY, n.position.y);
  }
  return { x: Math.round(minX), y: Math.round(maxY + 250) };
}

/** The machine `guid` is connected to (drawn by hand or picked), or null: this machine. */
export function connectedMachine(
  connections: readonly { source: number; target: number }[],
  machines: readonly { guid: number }[],
  guid: number,
): number | null {
  const guids = new Set(machines.map((m) => m.guid));
  const c = connections.find((x) => (x.source === guid && guids.has(x.target)) || (x.target === guid && guids.has(x.source)));
  return c ? (c.source === guid ? c.target : c.source) : null;
}
