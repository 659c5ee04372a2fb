import type { Edge } from "@xyflow/react";
import { shapingLabel, valuesWithDefaults, type ResourceTypeInfo } from "@nepi/core";
import { attributeConditionSentence, type DesignContent } from "./model";

/** A type its definition says is drawn as the edge between the two resources it joins. */
export function isDrawnAsEdge(info: ResourceTypeInfo | undefined): boolean {
  return info?.look.drawnAs === "edge";
}

/** A resource drawn as an edge: the two it joins (lower guid first) and what its edge reads. */
export interface DrawnLink {
  guid: number;
  ends: readonly [number, number];
  /** Its shaping: "10 Mbit/s · 20 ms · 1 %" ("" when unshaped). */
  label: string;
  /** The attribute conditions that change it during the run, in words ("" when none). */
  changes: string;
  /** Designed down (its `up` attribute is false). */
  down: boolean;
}

export interface LinkEdgeData extends Record<string, unknown> {
  guid: number;
  label: string;
  changes: string;
  down: boolean;
}

/**
 * The resources of an edge-drawn type that join exactly two others: those are drawn as edges.
 * One with fewer or more connections (a half-made design) stays a box, so it can be mended.
 */
export function drawnLinks(
  content: Pick<DesignContent, "nodes" | "connections" | "attributeConditions">,
  catalog: Readonly<Record<string, ResourceTypeInfo>>,
): DrawnLink[] {
  const candidates = new Map<number, number[]>();
  for (const n of content.nodes) if (isDrawnAsEdge(catalog[n.data.rtype])) candidates.set(n.data.guid, []);
  if (!candidates.size) return [];
  for (const c of content.connections) {
    candidates.get(c.source)?.push(c.target);
    candidates.get(c.target)?.push(c.source);
  }
  const names = new Map(content.nodes.map((n) => [n.data.guid, n.data.label || `#${n.data.guid}`]));
  const nameOf = (g: number) => names.get(g) ?? `#${g}`;
  const out: DrawnLink[] = [];
  for (const n of content.nodes) {
    const ends = candidates.get(n.data.guid);
    // Both ends must be boxes: a link joined to another link is drawn as a box.
    if (!ends || ends.length !== 2 || ends.some((e) => candidates.has(e))) continue;
    const info = catalog[n.data.rtype]!;
    const value = valuesWithDefaults(info, n.data.attributes);
    const changes = content.attributeConditions
      .filter((c) => c.group.includes(n.data.guid))
      .map((c) => attributeConditionSentence(c, nameOf, { subject: n.data.guid }))
      .join("; ");
    out.push({
      guid: n.data.guid,
      ends: ends[0]! < ends[1]! ? [ends[0]!, ends[1]!] : [ends[1]!, ends[0]!],
      label: shapingLabel({ rate: value("rate"), delay: value("delay"), jitter: value("jitter"), loss: value("loss") }),
      changes,
      down: value("up") === false,
    });
  }
  return out;
}

function sameEdge(a: Edge, b: Edge): boolean {
  if (a.id !== b.id || a.source !== b.source || a.target !== b.target || a.type !== b.type) return false;
  if (a.sourceHandle !== b.sourceHandle || a.targetHandle !== b.targetHandle) return false;
  const da = a.data ?? {};
  const db = b.data ?? {};
  const keys = Object.keys(da);
  return keys.length === Object.keys(db).length && keys.every((k) => Object.is(da[k], db[k]));
}

/**
 * `next` with the edges that did not change taken from `previous`: the memoised edge components
 * of a thousand links re-render only for the edge an edit changed.
 */
export function keepUnchangedEdges(previous: readonly Edge[], next: Edge[]): Edge[] {
  if (!previous.length) return next;
  const before = new Map(previous.map((e) => [e.id, e]));
  let changed = previous.length !== next.length;
  const out = next.map((e, i) => {
    const old = before.get(e.id);
    if (old && sameEdge(old, e)) {
      if (previous[i] !== old) changed = true;
      return old;
    }
    changed = true;
    return e;
  });
  return changed ? out : (previous as Edge[]);
}
