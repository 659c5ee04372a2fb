import { deployAfter, endsByItself, hasDeployOrder } from "../catalog/rules.js";
import type { ResourceState } from "../model/states.js";
import { findDeadlock } from "./deadlock.js";
import type { DesignView } from "./design-view.js";

/**
 * The engine's rules over a design, written once: the controller applies them at `deploy()`
 * (a dry run's too) and `validateDocument` to a document, so they cannot disagree.
 */

/** `guid` deploys only once `guid` of this dependency reached `state`. */
export interface Dependency {
  guid: number;
  state: ResourceState;
}

const NO_DEPENDENCIES: readonly Dependency[] = [];

/** The implicit deploy order: what `guid` deploys after (its node, by the catalog's rules). */
export function deployDependencies(view: DesignView, guid: number): readonly Dependency[] {
  const info = view.info(guid);
  if (!info || !hasDeployOrder(info)) return NO_DEPENDENCIES;
  const out: Dependency[] = [];
  for (const g of view.connections(guid)) {
    const other = view.info(g);
    const state = other && deployAfter(info, other);
    if (state) out.push({ guid: g, state });
  }
  return out;
}

/**
 * The members of a deploy group that start together once all of them are READY: all but those
 * whose deploy waits, directly or through what they deploy after (an application through its
 * node), on an explicit DEPLOY condition. Those come later by design, and holding the others for
 * them could make both wait on each other forever.
 */
export function startsTogether(view: DesignView, members: readonly number[]): number[] {
  const held = new Set<number>();
  for (const c of view.conditions) if (c.action === "DEPLOY") for (const g of c.group) held.add(g);
  if (held.size === 0) return [...members];
  const later = new Map<number, boolean>();
  const comesLater = (root: number): boolean => {
    // Depth first along the deploy order, without recursion; a loop in it counts as not held.
    const stack = [root];
    while (stack.length > 0) {
      const g = stack[stack.length - 1]!;
      if (!later.has(g)) {
        later.set(g, held.has(g));
        if (!held.has(g)) for (const d of deployDependencies(view, g)) if (!later.has(d.guid)) stack.push(d.guid);
        continue;
      }
      stack.pop();
      if (!later.get(g))
        later.set(
          g,
          deployDependencies(view, g).some((d) => later.get(d.guid) === true),
        );
    }
    return later.get(root)!;
  };
  return members.filter((g) => !comesLater(g));
}

/**
 * Whether a resource may reach FINISHED by itself: by its type and designed attributes (a
 * `sim::Task` with a duration), or once an attribute condition gave it such a value.
 */
export function mayEndByItself(view: DesignView, guid: number): boolean {
  const info = view.info(guid);
  if (!info) return true;
  if (endsByItself(info, (name) => view.value(guid, name))) return true;
  return view.attributeConditions.some(
    (c) => c.group.includes(guid) && endsByItself(info, (name) => (name === c.attribute ? c.value : view.value(guid, name))),
  );
}

/** A wait of the design that can never be satisfied, and the condition to blame. */
export interface BlockedWait {
  code: "CONDITION_CYCLE" | "NEVER_ENDS";
  message: string;
  /** Index in `view.conditions` of the condition involved, when one is. */
  condition?: number;
  guid: number;
}

const ENDED_STATES: readonly string[] = ["STOPPED", "FINISHED"];

/**
 * Finds a wait that can never be satisfied when `together` start together: a cycle of waits
 * (conditions, the deploy order, the start-together barrier), or a condition waiting for a
 * resource to end that never ends (it does not end by itself and nothing stops it).
 */
export function blockedWait(view: DesignView, together: readonly number[]): BlockedWait | undefined {
  const ends = new Map<number, boolean>();
  const mayEnd = (g: number): boolean => {
    let known = ends.get(g);
    if (known === undefined) ends.set(g, (known = mayEndByItself(view, g)));
    return known;
  };
  const guids = [...view.guids()];
  const cycle = findDeadlock({
    guids,
    deployAfter: (g) => deployDependencies(view, g),
    conditions: view.conditions,
    startTogether: together,
    endsByItself: mayEnd,
  });
  if (cycle) {
    const i = view.conditions.findIndex((c) => c.group.some((g) => cycle.includes(g)));
    return {
      code: "CONDITION_CYCLE",
      message: `condition cycle: guids ${cycle.join(" → ")} → ${cycle[0]} wait on each other, so none of them could ever proceed`,
      ...(i >= 0 ? { condition: i } : {}),
      guid: cycle[0]!,
    };
  }
  return neverEndingWait(view, mayEnd);
}

/** A condition waiting for a resource to end that never does: nothing would ever open it. */
function neverEndingWait(view: DesignView, mayEnd: (guid: number) => boolean): BlockedWait | undefined {
  const stopped = new Set<number>();
  // A STOP planned for a failure stops nothing when nothing fails.
  for (const c of view.conditions) if (c.action === "STOP" && c.state !== "FAILED") for (const g of c.group) stopped.add(g);
  for (let i = 0; i < view.conditions.length; i++) {
    const c = view.conditions[i]!;
    const onFailure = c.state === "FAILED";
    if (!ENDED_STATES.includes(c.state) && !onFailure) continue;
    // Resources that end by themselves end anyway: their STOP condition is never needed; and a
    // STOP planned for a failure that does not come is dropped.
    if (c.action === "STOP" && (onFailure || c.group.every(mayEnd))) continue;
    const never = c.after.find((g) => !mayEnd(g) && !stopped.has(g));
    if (never === undefined) continue;
    const who = c.group.length === 1 ? `guid ${c.group[0]}` : `guids ${c.group.join(", ")}`;
    const why = `guid ${never} (${view.info(never)?.rtype}) does not end by itself and no STOP condition stops it`;
    return {
      code: "NEVER_ENDS",
      message: onFailure
        ? `${c.action} ${who} after guid ${never} FAILED may wait forever: whether it failed is known once it ended, and ${why}`
        : `${c.action} ${who} after guid ${never} ${c.state} can never happen: ${why}`,
      condition: i,
      guid: never,
    };
  }
  return undefined;
}
