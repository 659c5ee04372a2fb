import {
  HOST_ROLE,
  endsByItself,
  findResourceType,
  hasRole,
  summaryOf,
  valuesWithDefaults,
  type ExperimentDocument,
  type Leftover,
  type ResourceRunState,
  type ResourceState,
  type StateEvent,
} from "@nepi/core";

const ENDED: ReadonlySet<ResourceState> = new Set(["FINISHED", "STOPPED", "FAILED", "RELEASED"]);
/** States in which a resource holds something (a process, files, a connection). */
const HOLDING: ReadonlySet<ResourceState> = new Set(["DISCOVERED", "PROVISIONED", "READY", "STARTED", "STOPPED", "FINISHED"]);

/**
 * Every resource's latest state in one run, kept up to date from its transitions, with the
 * counts per state and how many resources have yet to settle, so that "the run finished" is
 * known in O(1) per transition.
 */
export class RunState {
  private readonly states = new Map<number, ResourceRunState>();
  private readonly finishes = new Map<number, boolean>();
  readonly counts: Record<string, number> = {};
  private unsettled = 0;
  /** NEW resources a partial deploy left out: they stay NEW, and the run does not wait for them. */
  private readonly leftOut = new Set<number>();

  constructor(doc: ExperimentDocument, startedAt: number) {
    for (const r of doc.resources) {
      this.states.set(r.guid, { guid: r.guid, state: "NEW", at: startedAt });
      // Infrastructure (a node) never ends by itself: it has settled once STARTED.
      const info = findResourceType(r.type);
      this.finishes.set(r.guid, info ? endsByItself(info, valuesWithDefaults(info, r.attributes)) : true);
      this.counts.NEW = (this.counts.NEW ?? 0) + 1;
      this.unsettled++;
    }
  }

  /** A partial deploy left these out: the run is over without them. */
  leaveOut(guids: Iterable<number>): void {
    for (const g of guids) {
      const s = this.states.get(g);
      if (!s || s.state !== "NEW" || this.leftOut.has(g)) continue;
      this.leftOut.add(g);
      this.unsettled--;
    }
  }

  apply(e: StateEvent): void {
    const before = this.states.get(e.guid);
    if (before) {
      this.counts[before.state]!--;
      if (!this.isSettled(e.guid, before.state)) this.unsettled--;
      this.leftOut.delete(e.guid);
    } else {
      this.finishes.set(e.guid, true);
    }
    this.states.set(e.guid, { guid: e.guid, state: e.state, at: e.at, ...(e.reason !== undefined ? { reason: e.reason } : {}) });
    this.counts[e.state] = (this.counts[e.state] ?? 0) + 1;
    if (!this.isSettled(e.guid, e.state)) this.unsettled++;
  }

  private isSettled(guid: number, state: ResourceState): boolean {
    if (ENDED.has(state) || this.leftOut.has(guid)) return true;
    return !this.finishes.get(guid) && state === "STARTED";
  }

  /** Every resource has ended (or, for infrastructure, is up). */
  get allSettled(): boolean {
    return this.unsettled === 0 && this.states.size > 0;
  }

  state(guid: number): ResourceRunState | undefined {
    return this.states.get(guid);
  }

  list(): ResourceRunState[] {
    return [...this.states.values()].sort((a, b) => a.guid - b.guid);
  }

  /** The resources FAILED now, in guid order. */
  failed(): ResourceRunState[] {
    return this.list().filter((s) => s.state === "FAILED");
  }

  /** The first failure with a reason (what made a critical failure fail the run). */
  firstFailure(): ResourceRunState | undefined {
    let first: ResourceRunState | undefined;
    for (const s of this.states.values()) {
      if (s.state === "FAILED" && (!first || s.at < first.at)) first = s;
    }
    return first;
  }

  /** What is still deployed, and on which host: what a crash leaves behind. */
  leftovers(doc: ExperimentDocument): Leftover[] {
    const hosts = hostsOf(doc);
    const types = new Map(doc.resources.map((r) => [r.guid, r.type]));
    const out: Leftover[] = [];
    for (const s of this.list()) {
      if (!HOLDING.has(s.state)) continue;
      const host = hosts.get(s.guid);
      out.push({ guid: s.guid, type: types.get(s.guid) ?? "?", state: s.state, ...(host ? { host } : {}) });
    }
    return out;
  }
}

/** The host each resource runs on, by its summary line (a node's hostname): a host's own, or that of the host it connects to. */
function hostsOf(doc: ExperimentDocument): Map<number, string> {
  const hosts = new Map<number, string>();
  for (const r of doc.resources) {
    const info = findResourceType(r.type);
    if (info && hasRole(info, HOST_ROLE))
      hosts.set(r.guid, summaryOf(info, valuesWithDefaults(info, r.attributes)) ?? `guid ${r.guid}`);
  }
  const out = new Map(hosts);
  for (const c of doc.connections) {
    const [res, host] = hosts.has(c.target) ? [c.source, c.target] : [c.target, c.source];
    const name = hosts.get(host);
    if (name !== undefined && !out.has(res)) out.set(res, name);
  }
  return out;
}
