import type { AttributeValue, ResourceTypeInfo } from "../model/catalog-schema.js";
import type { AttributeConditionDoc, ConditionDoc, ExperimentDocument } from "../model/document.js";
import { findResourceType } from "../catalog/registry.js";

/**
 * The little of a design the engine's rules read (deploy order, start together, deadlocks).
 * The controller's registry and an experiment document both provide one, so `deploy()` and
 * `validateDocument` apply the very same rules.
 */
export interface DesignView {
  /** Every guid, in registration (document) order. */
  guids(): Iterable<number>;
  /** The type of a guid; undefined when the guid or its type is unknown. */
  info(guid: number): ResourceTypeInfo | undefined;
  /** An attribute's value as designed (its default when not set). */
  value(guid: number, name: string): AttributeValue | undefined;
  /** Guids connected to `guid`. */
  connections(guid: number): readonly number[];
  readonly conditions: readonly ConditionDoc[];
  readonly attributeConditions: readonly AttributeConditionDoc[];
}

const NONE: readonly number[] = [];

/** A document as a design view (connections count both ways). */
export function documentView(doc: ExperimentDocument): DesignView {
  const resources = new Map(doc.resources.filter(Boolean).map((r) => [r.guid, { doc: r, info: findResourceType(r.type) }]));
  // Sets: a node may carry 100,000 applications, a scan per connection would be quadratic.
  const linked = new Map<number, Set<number>>();
  for (const c of doc.connections) {
    if (!c) continue;
    for (const [x, y] of [
      [c.source, c.target],
      [c.target, c.source],
    ] as const) {
      const set = linked.get(x);
      if (set) set.add(y);
      else linked.set(x, new Set([y]));
    }
  }
  const neighbours = new Map([...linked].map(([g, set]) => [g, [...set]]));
  return {
    guids: () => resources.keys(),
    info: (g) => resources.get(g)?.info,
    value: (g, name) => {
      const r = resources.get(g);
      return r?.doc.attributes[name] ?? r?.info?.attributes.find((a) => a.name === name)?.default;
    },
    connections: (g) => neighbours.get(g) ?? NONE,
    conditions: doc.conditions.filter(Boolean),
    attributeConditions: (doc.attributeConditions ?? []).filter(Boolean),
  };
}
