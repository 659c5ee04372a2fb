import type { ExperimentDocument } from "../model/document.js";
import type { StateEvent } from "../model/events.js";
import { stateRank, type ResourceState } from "../model/states.js";
import { parseTime } from "../model/time.js";
import { documentView, type DesignView } from "./design-view.js";
import { deployDependencies, startsTogether } from "./design-rules.js";
import { formatDelay } from "./explain.js";

/**
 * One link of a run's critical path: an action of a resource (its deploy, its start, its run
 * until it ended, its stop), or a wait of a resource on another (a condition, its deploy order,
 * the start-together barrier). `costMs` is how long the link took: the run's end is the sum.
 */
export interface CriticalLink {
  kind: "action" | "wait";
  /** The resource acting, or waiting. */
  guid: number;
  /** action: "deploy" | "start" | "run" | "stop"; wait: the action waited for. */
  what: string;
  /** wait: the resource and state it waited for. */
  on?: { guid: number; state: ResourceState };
  from: number;
  to: number;
  costMs: number;
  text: string;
}

const ENDED = stateRank("FINISHED");
const STARTED = stateRank("STARTED");
const READY = stateRank("READY");

/** When each resource first reached each rank, read off the timeline. */
function reachedTimes(timeline: readonly StateEvent[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const e of timeline) {
    const rank = stateRank(e.state);
    if (rank < 0) continue;
    let ranks = out.get(e.guid);
    if (!ranks) out.set(e.guid, (ranks = []));
    for (let k = 0; k <= rank; k++) ranks[k] ??= e.at;
  }
  return out;
}

/** A wait that could have decided when an action began: when it opened, and on whom. */
interface Opener {
  at: number;
  on: { guid: number; state: ResourceState; at: number };
  text: string;
}

/**
 * The chain of waits and actions that decided when the run ended, first link first: from the
 * last resource to end (or fail), back through what each step waited for — the condition, the
 * deploy order or the start-together barrier that opened last — to the start of the run.
 * Pure: it reads the timeline and the document (the design as run, deployed as a whole).
 */
export function criticalPath(
  timeline: readonly StateEvent[],
  doc: ExperimentDocument,
  options: { startedAt?: number } = {},
): CriticalLink[] {
  const events = timeline.filter((e) => e.state !== "RELEASED");
  if (events.length === 0) return [];
  const view = documentView(doc);
  const reached = reachedTimes(events);
  const at = (g: number, rank: number) => reached.get(g)?.[rank];
  const startedAt = options.startedAt ?? Math.min(...events.map((e) => e.at));
  const failedAt = new Map(events.filter((e) => e.state === "FAILED").map((e) => [e.guid, e.at]));
  const together = new Set(startsTogether(view, [...view.guids()]));

  // The run ended with the last resource to end (or fail).
  const ends = events.filter((e) => stateRank(e.state) === ENDED || e.state === "FAILED");
  const last = (ends.length > 0 ? ends : events).reduce((a, b) => (b.at >= a.at ? b : a));

  const links: CriticalLink[] = [];
  const action = (guid: number, what: string, from: number, to: number) =>
    links.push({ kind: "action", guid, what, from, to, costMs: to - from, text: `guid ${guid} ${what}` });
  const wait = (guid: number, what: string, o: Opener) =>
    links.push({
      kind: "wait",
      guid,
      what,
      on: { guid: o.on.guid, state: o.on.state },
      from: o.on.at,
      to: o.at,
      costMs: o.at - o.on.at,
      text: o.text,
    });

  let cursor: { guid: number; rank: number; at: number } | undefined = {
    guid: last.guid,
    rank: last.state === "FAILED" ? failedRank(last.guid) : ENDED,
    at: last.at,
  };
  function failedRank(g: number): number {
    return at(g, STARTED) !== undefined ? ENDED : READY;
  }
  // Each step moves to an earlier (or equal) moment on another link: bounded by the events.
  for (let steps = 0; cursor && steps <= 4 * events.length; steps++) {
    const { guid, rank, at: when }: { guid: number; rank: number; at: number } = cursor;
    cursor = undefined;
    if (rank >= ENDED) {
      const started = at(guid, STARTED);
      if (started === undefined) {
        cursor = { guid, rank: READY, at: when };
        continue;
      }
      const stop = latestOpener(conditionOpeners(view, guid, "STOP", at), when);
      if (stop && stop.at > started) {
        action(guid, "stop", stop.at, when);
        wait(guid, "STOP", stop);
        cursor = { guid: stop.on.guid, rank: stateRank(stop.on.state), at: stop.on.at };
      } else {
        action(guid, failedAt.has(guid) ? "ran until it failed" : "ran", started, when);
        cursor = { guid, rank: STARTED, at: started };
      }
    } else if (rank >= STARTED) {
      const ready = at(guid, READY) ?? startedAt;
      const openers = conditionOpeners(view, guid, "START", at);
      if (together.has(guid)) {
        const lastReady = [...together]
          .filter((m) => m !== guid && !failedAt.has(m) && at(m, READY) !== undefined)
          .reduce<number | undefined>(
            (best, m) => (best === undefined || at(m, READY)! > at(best, READY)! ? m : best),
            undefined,
          );
        if (lastReady !== undefined) {
          const t = at(lastReady, READY)!;
          openers.push({
            at: t,
            on: { guid: lastReady, state: "READY", at: t },
            text: `START guid ${guid} together with the others: guid ${lastReady} was READY last`,
          });
        }
      }
      const opener = latestOpener(openers, when);
      if (opener && opener.at > ready) {
        action(guid, "start", opener.at, when);
        wait(guid, "START", opener);
        cursor = { guid: opener.on.guid, rank: stateRank(opener.on.state), at: opener.on.at };
      } else {
        action(guid, "start", ready, when);
        cursor = { guid, rank: READY, at: ready };
      }
    } else {
      const openers = conditionOpeners(view, guid, "DEPLOY", at);
      for (const dep of deployDependencies(view, guid)) {
        const t = at(dep.guid, stateRank(dep.state));
        if (t !== undefined)
          openers.push({
            at: t,
            on: { guid: dep.guid, state: dep.state, at: t },
            text: `DEPLOY guid ${guid} after guid ${dep.guid} ${dep.state} (it runs there)`,
          });
      }
      const opener = latestOpener(openers, when);
      if (opener && opener.at > startedAt) {
        action(guid, "deploy", opener.at, when);
        wait(guid, "DEPLOY", opener);
        cursor = { guid: opener.on.guid, rank: stateRank(opener.on.state), at: opener.on.at };
      } else {
        action(guid, "deploy", startedAt, when);
      }
    }
  }
  return links.reverse();
}

/** The conditions of `action` on `guid` that opened (every awaited resource got there), and when. */
function conditionOpeners(
  view: DesignView,
  guid: number,
  action: "DEPLOY" | "START" | "STOP",
  at: (g: number, rank: number) => number | undefined,
): Opener[] {
  const out: Opener[] = [];
  for (const c of view.conditions) {
    if (c.action !== action || !c.group.includes(guid)) continue;
    const rank = stateRank(c.state);
    if (rank < 0) continue;
    let lastGuid: number | undefined;
    let lastAt = -Infinity;
    let all = true;
    for (const g of c.after) {
      const t = at(g, rank);
      if (t === undefined) all = false;
      else if (t >= lastAt) [lastGuid, lastAt] = [g, t];
    }
    if (!all || lastGuid === undefined) continue;
    const delayMs = c.delay ? parseTime(c.delay, "delay") : 0;
    const delay = delayMs > 0 ? ` + ${formatDelay(delayMs)}` : "";
    out.push({
      at: lastAt + delayMs,
      on: { guid: lastGuid, state: c.state, at: lastAt },
      text: `${action} guid ${guid} after guid ${lastGuid} ${c.state}${delay}`,
    });
  }
  return out;
}

/** The opener that opened last, no later than `when`. */
function latestOpener(openers: readonly Opener[], when: number): Opener | undefined {
  let best: Opener | undefined;
  for (const o of openers) if (o.at <= when && (!best || o.at > best.at)) best = o;
  return best;
}
