import type { ResourceAction, ResourceState } from "../model/states.js";

/** What the deadlock check needs to know of an experiment. */
export interface DependencyGraphInput {
  guids: readonly number[];
  /** Implicit deploy order: `guid` deploys after each of these reached its state. */
  deployAfter(guid: number): ReadonlyArray<{ guid: number; state: ResourceState }>;
  conditions: ReadonlyArray<{
    group: readonly number[];
    action: ResourceAction;
    after: readonly number[];
    state: ResourceState;
    trace?: string;
  }>;
  /** Resources that start together once all of them are READY. */
  startTogether: readonly number[];
  /**
   * Whether a resource may end by itself. Only those that do not wait for their STOP
   * conditions to end; by default every resource may (STOP conditions then never block).
   */
  endsByItself?(guid: number): boolean;
}

const DEPLOYED = 0;
const STARTED = 1;
const ENDED = 2;

/** Which milestone of a resource reaching `state` means; undefined when no wait is involved. */
function milestone(state: ResourceState): number | undefined {
  switch (state) {
    case "DISCOVERED":
    case "PROVISIONED":
    case "READY":
      return DEPLOYED;
    case "STARTED":
      return STARTED;
    // A wait on FAILED is decided by the time the resource ended (if it did not fail, it
    // then can never open): when nothing fails, that is the moment it waits for.
    case "STOPPED":
    case "FINISHED":
    case "FAILED":
      return ENDED;
    default:
      return undefined;
  }
}

/**
 * Finds a set of waits that can never be satisfied (a cycle): "A deploys after B is READY"
 * and "B deploys after A STARTED", for instance. Each resource has three milestones (deployed,
 * started, ended), each waiting on the one before it; conditions and the start-together barrier
 * add waits. A STOP condition blocks only a resource that does not end by itself: one that does
 * ends anyway. Returns the guids along the cycle, or undefined. Linear in resources plus conditions.
 */
export function findDeadlock(input: DependencyGraphInput): number[] | undefined {
  const index = new Map<number, number>();
  input.guids.forEach((g, i) => index.set(g, i));
  const n = input.guids.length;
  const conditionBase = 3 * n;
  const barrier = conditionBase + input.conditions.length;
  const size = barrier + 1;
  const edges = new Array<number[]>(size);
  const add = (from: number, to: number) => (edges[from] ??= []).push(to);
  const node = (guid: number, m: number) => {
    const i = index.get(guid);
    return i === undefined ? undefined : 3 * i + m;
  };

  for (let i = 0; i < n; i++) {
    add(3 * i + STARTED, 3 * i + DEPLOYED);
    add(3 * i + ENDED, 3 * i + STARTED);
    for (const dep of input.deployAfter(input.guids[i]!)) {
      const m = milestone(dep.state);
      const target = m === undefined ? undefined : node(dep.guid, m);
      if (target !== undefined) add(3 * i + DEPLOYED, target);
    }
  }
  const ends = input.endsByItself ?? (() => true);
  input.conditions.forEach((c, ci) => {
    // A STOP planned for a failure holds nothing back when nothing fails (it is dropped).
    if (c.action === "STOP" && c.state === "FAILED") return;
    const waiting = c.action === "DEPLOY" ? DEPLOYED : c.action === "START" ? STARTED : ENDED;
    // A trace is written only once its resource started: a match comes no earlier than that.
    const m = c.trace === undefined ? milestone(c.state) : Math.max(milestone(c.state) ?? STARTED, STARTED);
    if (m === undefined) return;
    // A STOP condition holds back only the resources that do not end by themselves.
    const held = waiting === ENDED ? c.group.filter((g) => !ends(g)) : c.group;
    if (held.length === 0) return;
    const via = conditionBase + ci;
    for (const g of held) {
      const from = node(g, waiting);
      if (from !== undefined) add(from, via);
    }
    for (const g of c.after) {
      const to = node(g, m);
      if (to !== undefined) add(via, to);
    }
  });
  for (const g of input.startTogether) {
    const s = node(g, STARTED);
    const d = node(g, DEPLOYED);
    if (s !== undefined) add(s, barrier);
    if (d !== undefined) add(barrier, d);
  }

  // Iterative depth-first search (no recursion: experiments may hold 100,000 resources).
  const color = new Uint8Array(size); // 0 new, 1 on the stack, 2 done
  const parent = new Int32Array(size).fill(-1);
  const cursor = new Int32Array(size);
  for (let root = 0; root < size; root++) {
    if (color[root] !== 0) continue;
    const stack = [root];
    color[root] = 1;
    while (stack.length) {
      const u = stack[stack.length - 1]!;
      const out = edges[u];
      if (out && cursor[u]! < out.length) {
        const v = out[cursor[u]!++]!;
        if (color[v] === 0) {
          color[v] = 1;
          parent[v] = u;
          stack.push(v);
        } else if (color[v] === 1) {
          return cycleGuids(u, v, parent, n, input.guids);
        }
      } else {
        color[u] = 2;
        stack.pop();
      }
    }
  }
  return undefined;
}

function cycleGuids(from: number, to: number, parent: Int32Array, n: number, guids: readonly number[]): number[] {
  const nodes: number[] = [];
  for (let x = from; x !== to && x >= 0; x = parent[x]!) nodes.push(x);
  nodes.push(to);
  nodes.reverse();
  const out: number[] = [];
  for (const x of nodes) {
    if (x >= 3 * n) continue; // condition and barrier nodes are not resources
    const g = guids[Math.floor(x / 3)]!;
    if (out[out.length - 1] !== g) out.push(g);
  }
  if (out.length > 1 && out[0] === out[out.length - 1]) out.pop();
  return out;
}
