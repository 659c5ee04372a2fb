import type { AttributeValue } from "../model/catalog-schema.js";
import { NepiError } from "../model/errors.js";
import type { AttributeConditionDoc, ConditionDoc, ExperimentDocument } from "../model/document.js";
import { DOCUMENT_FORMAT } from "../model/document.js";
import {
  RESOURCE_ACTIONS,
  RESOURCE_STATES,
  ResourceState,
  isTerminal,
  isWaitable,
  type ResourceAction,
} from "../model/states.js";
import { parseTime } from "../model/time.js";
import { checkAttributeValue, getAttribute, runTimeSetProblem } from "../catalog/attributes.js";
import { getResourceType } from "../catalog/registry.js";
import { deployAfter, traceProblem } from "../catalog/rules.js";
import { patternProblem } from "../model/pattern.js";
import type { TraceCondition } from "./trace-gates.js";
import { linkProblem, type LinkView } from "../catalog/links.js";
import type { DesignView } from "./design-view.js";
import { REGISTERED, isReleasing, isScheduled, type Resource } from "./resource-record.js";

export interface RegisterOptions {
  guid?: number;
  label?: string;
  position?: { x: number; y: number };
}

/** One guid or several. */
export type Group = number | readonly number[];

export function toArray(group: Group): number[] {
  return typeof group === "number" ? [group] : [...group];
}

const NOT_REACHED = -1;

/** A condition's guids and delay, checked. */
export interface CheckedCondition {
  subjects: number[];
  after: number[];
  delayMs: number;
}

/**
 * What takes the state's place in `registerCondition` to wait for a line of a trace of every
 * `after` resource to match a pattern (a regular expression, without flags).
 */
export interface TraceWait {
  trace: string;
  matches: string | RegExp;
  /** Past this, counted from when the traced resource started, the waiting resources fail. */
  timeout?: string | number;
  /** A state to reach as well (FINISHED, say); STARTED by default. */
  state?: ResourceState;
}

/**
 * The design of one experiment: its resources, connections, conditions and traces, each
 * checked against the catalog as it is registered, so a bad one leaves nothing half-made.
 */
export class DesignRegistry {
  readonly resources = new Map<number, Resource>();
  readonly conditions: ConditionDoc[] = [];
  readonly attributeConditions: AttributeConditionDoc[] = [];
  private nextGuid = 1;

  /** The design as the engine's rules read it (design-rules.ts). */
  readonly view: DesignView = {
    guids: () => this.resources.keys(),
    info: (g) => this.resources.get(g)?.info,
    value: (g, name) => {
      const r = this.resources.get(g);
      return r && this.attributeValue(r, name);
    },
    connections: (g) => this.resources.get(g)?.connections ?? [],
    conditions: this.conditions,
    attributeConditions: this.attributeConditions,
  };

  /** The design as the catalog's connection checks read it (catalog/links.ts). */
  readonly linkView: LinkView = {
    info: (g) => this.resources.get(g)?.info,
    connections: (g) => this.resources.get(g)?.connections ?? [],
    name: (g) => this.describe(g),
  };

  /** Registers a resource of type `rtype` with initial attribute values. */
  register(rtype: string, attributes: Record<string, AttributeValue>, options: RegisterOptions): Resource {
    const info = getResourceType(rtype);
    let guid = options.guid;
    if (guid !== undefined) {
      if (!Number.isInteger(guid) || guid < 1)
        throw new NepiError("BAD_VALUE", `guid: expected a positive integer, got ${guid}`, "guid");
      if (this.resources.has(guid))
        throw new NepiError("DUPLICATE_GUID", `guid: ${guid} is already used by ${this.describe(guid)}`, "guid");
    } else {
      while (this.resources.has(this.nextGuid)) this.nextGuid++;
      guid = this.nextGuid;
    }
    const where = `guid ${guid} (${options.label ?? rtype})`;
    // Check every value before registering, so a bad one leaves nothing half-made.
    const values = new Map<string, AttributeValue>();
    for (const [name, value] of Object.entries(attributes)) {
      const def = getAttribute(info, name, where, `attributes.${name}`);
      values.set(name, checkAttributeValue(def, value, where, `attributes.${name}`));
    }
    const r: Resource = {
      guid,
      info,
      label: options.label,
      position: options.position,
      values,
      traces: new Set(),
      connections: [],
      state: ResourceState.NEW,
      phase: REGISTERED,
      maxRank: 0,
      reachedAt: [0, NOT_REACHED, NOT_REACHED, NOT_REACHED, NOT_REACHED, NOT_REACHED],
      history: [],
      attempt: 1,
      gates: [],
      pending: { DEPLOY: 0, START: 0, STOP: 0 },
      hasStopGate: false,
    };
    this.resources.set(guid, r);
    if (guid >= this.nextGuid) this.nextGuid = guid + 1;
    return r;
  }

  /** Whether `deploy()` took the resource in (it may still wait for its DEPLOY conditions). */
  deployed(r: Resource): boolean {
    return isScheduled(r) || r.state !== ResourceState.NEW;
  }

  /** Sets an attribute, enforcing its type, allowed values and flags; true when the resource is deployed. */
  set(r: Resource, name: string, value: AttributeValue): boolean {
    const where = this.where(r);
    const def = getAttribute(r.info, name, where);
    const deployed = this.deployed(r);
    if (def.flags.execReadOnly) {
      throw new NepiError("READ_ONLY", `${where}: attribute "${name}" is read-only (set by the resource itself)`);
    }
    if (deployed && def.flags.design) {
      throw new NepiError(
        "READ_ONLY",
        `${where}: attribute "${name}" is a design attribute: it cannot be set after deploy (state ${r.state})`,
      );
    }
    if (deployed && def.flags.execImmutable) {
      throw new NepiError("READ_ONLY", `${where}: attribute "${name}" cannot be changed once deployed (state ${r.state})`);
    }
    r.values.set(name, checkAttributeValue(def, value, where));
    return deployed;
  }

  /** Connects two resources (order does not matter), checked by the catalog's one link rule. */
  connect(a: number, b: number): void {
    const ra = this.resource(a);
    const rb = this.resource(b);
    const problem = linkProblem(this.linkView, a, b);
    if (problem?.code === "DUPLICATE") return;
    if (problem) throw new NepiError("BAD_CONNECTION", `connection: ${problem.message}`);
    if (isScheduled(ra) && isScheduled(rb)) {
      throw new NepiError("WRONG_STATE", `connection: ${this.where(ra)} and ${this.where(rb)} are both deployed`);
    }
    // One is deployed: the other may join it only if it is what deploys after (an application
    // onto its running node), never something the deployed one would have had to wait for.
    const [running, joining] = isScheduled(ra) ? [ra, rb] : [rb, ra];
    if (isScheduled(running) && (isReleasing(running) || isTerminal(running.state))) {
      throw new NepiError(
        "WRONG_STATE",
        `connection: ${this.where(running)} is ${isReleasing(running) && !isTerminal(running.state) ? "being released" : running.state}: nothing can join it`,
      );
    }
    if (isScheduled(running) && deployAfter(running.info, joining.info) !== undefined) {
      throw new NepiError(
        "WRONG_STATE",
        `connection: ${this.where(running)} is already deployed and would have had to deploy after ${this.where(joining)}`,
      );
    }
    ra.connections.push(b);
    rb.connections.push(a);
  }

  /** Records a condition (as its document); returns its checked guids, delay, state and trace wait. */
  addCondition(
    group1: Group,
    action: ResourceAction,
    group2: Group,
    wait: ResourceState | TraceWait,
    delay?: string | number,
  ): CheckedCondition & { state: ResourceState; trace?: TraceCondition } {
    if (!RESOURCE_ACTIONS.includes(action)) {
      throw new NepiError(
        "BAD_CONDITION",
        `condition action: "${action}" is not one of ${RESOURCE_ACTIONS.join(", ")}`,
        "action",
      );
    }
    const state = typeof wait === "string" ? wait : (wait.state ?? ResourceState.STARTED);
    if (typeof wait !== "string" && state === ResourceState.FAILED) {
      throw new NepiError(
        "BAD_CONDITION",
        "condition state: a condition on a trace waits for a state reached by running (STARTED to FINISHED), not FAILED",
        "state",
      );
    }
    const checked = this.checkCondition(group1, group2, state, delay);
    const trace = typeof wait === "string" ? undefined : this.checkTraceWait(wait, checked.after);
    const doc: ConditionDoc = { group: checked.subjects, action, after: checked.after, state };
    if (trace) {
      doc.trace = trace.name;
      doc.matches = trace.pattern.source;
      if (trace.timeoutText !== undefined) doc.timeout = trace.timeoutText;
    }
    if (delay !== undefined) doc.delay = typeof delay === "number" ? `${delay}ms` : delay;
    this.conditions.push(doc);
    return { ...checked, state, ...(trace ? { trace } : {}) };
  }

  /** A trace wait's trace (enabled on every awaited resource), pattern and timeout, checked. */
  private checkTraceWait(wait: TraceWait, after: number[]): TraceCondition {
    if (typeof wait.trace !== "string" || wait.trace === "")
      throw new NepiError("BAD_CONDITION", "condition trace: expected a trace name", "trace");
    for (const g of after) {
      const r = this.resource(g);
      const problem = traceProblem(r.info, wait.trace);
      if (problem) throw new NepiError("UNKNOWN_TRACE", `condition trace: ${this.where(r)}: ${problem}`, "trace");
      if (!r.traces.has(wait.trace)) {
        throw new NepiError(
          "BAD_CONDITION",
          `condition trace: trace "${wait.trace}" of ${this.where(r)} is not enabled (registerTrace it first)`,
          "trace",
        );
      }
    }
    let source: string;
    if (wait.matches instanceof RegExp) {
      if (wait.matches.flags !== "")
        throw new NepiError(
          "BAD_CONDITION",
          `condition matches: ${String(wait.matches)}: flags are not kept; write the pattern without them`,
          "matches",
        );
      source = wait.matches.source;
    } else {
      source = String(wait.matches);
    }
    const problem = patternProblem(source);
    if (problem) throw new NepiError("BAD_CONDITION", `condition matches: ${problem}`, "matches");
    const timeout =
      wait.timeout === undefined ? undefined : typeof wait.timeout === "number" ? `${wait.timeout}ms` : wait.timeout;
    return {
      name: wait.trace,
      pattern: new RegExp(source),
      ...(timeout !== undefined ? { timeoutMs: parseTime(timeout, "timeout"), timeoutText: timeout } : {}),
    };
  }

  /** Records a `setWithConditions` (as its document); returns its checked guids and delay. */
  addAttributeCondition(
    name: string,
    value: AttributeValue,
    group1: Group,
    group2: Group,
    state: ResourceState,
    delay?: string | number,
  ): CheckedCondition {
    const checked = this.checkCondition(group1, group2, state, delay);
    for (const g of checked.subjects) {
      const r = this.resource(g);
      const def = getAttribute(r.info, name, this.where(r));
      const problem = runTimeSetProblem(def);
      if (problem) throw new NepiError("READ_ONLY", `setWithConditions: ${this.where(r)}: ${problem}`, "attribute");
      checkAttributeValue(def, value, this.where(r));
    }
    this.attributeConditions.push({
      group: checked.subjects,
      attribute: name,
      value,
      after: checked.after,
      state,
      ...(delay !== undefined ? { delay: typeof delay === "number" ? `${delay}ms` : delay } : {}),
    });
    return checked;
  }

  /** Enables a trace: it is collected during the run. */
  addTrace(guid: number, name: string): void {
    const r = this.resource(guid);
    this.checkTrace(r, name);
    r.traces.add(name);
  }

  /** Throws unless `name` is a trace of the resource's type. */
  checkTrace(r: Resource, name: string): void {
    const problem = traceProblem(r.info, name);
    if (problem) throw new NepiError("UNKNOWN_TRACE", `${this.where(r)}: ${problem}`);
  }

  /** The design as a document (attributes as set, not defaults). */
  toDocument(name: string): ExperimentDocument {
    const resources = [...this.resources.values()].map((r) => ({
      guid: r.guid,
      type: r.info.rtype,
      ...(r.label !== undefined ? { label: r.label } : {}),
      attributes: Object.fromEntries(r.values),
      traces: [...r.traces],
      ...(r.position ? { position: { ...r.position } } : {}),
    }));
    const connections: { source: number; target: number }[] = [];
    for (const r of this.resources.values()) {
      for (const other of r.connections) if (r.guid < other) connections.push({ source: r.guid, target: other });
    }
    const doc: ExperimentDocument = {
      format: DOCUMENT_FORMAT,
      name,
      resources,
      connections,
      conditions: this.conditions.map((c) => ({ ...c, group: [...c.group], after: [...c.after] })),
    };
    if (this.attributeConditions.length > 0) {
      doc.attributeConditions = this.attributeConditions.map((c) => ({
        group: [...c.group],
        attribute: c.attribute,
        value: c.value,
        after: [...c.after],
        state: c.state,
        ...(c.delay !== undefined ? { delay: c.delay } : {}),
      }));
    }
    return doc;
  }

  resource(guid: number): Resource {
    const r = this.resources.get(guid);
    if (!r) {
      const known = this.resources.size === 0 ? "none registered" : `known: ${this.knownGuids()}`;
      throw new NepiError("UNKNOWN_GUID", `unknown guid ${JSON.stringify(guid)} (${known})`, "guid");
    }
    return r;
  }

  /** The resources of a group, each checked to exist. */
  group(group: Group): Resource[] {
    return toArray(group).map((g) => this.resource(g));
  }

  where(r: Resource): string {
    return `guid ${r.guid} (${r.label ?? r.info.rtype})`;
  }

  describe(guid: number): string {
    const r = this.resources.get(guid);
    return r ? this.where(r) : `guid ${guid}`;
  }

  /** An attribute's value (its default when not set). */
  attributeValue(r: Resource, name: string): AttributeValue | undefined {
    const v = r.values.get(name);
    if (v !== undefined) return v;
    return r.info.attributes.find((a) => a.name === name)?.default;
  }

  private knownGuids(): string {
    const all = [...this.resources.keys()];
    return all.length > 10 ? `${all.slice(0, 10).join(", ")}, … (${all.length} in all)` : all.join(", ");
  }

  private checkCondition(group1: Group, group2: Group, state: ResourceState, delay?: string | number): CheckedCondition {
    const subjects = [...new Set(toArray(group1))];
    const after = [...new Set(toArray(group2))];
    if (subjects.length === 0) throw new NepiError("BAD_CONDITION", "condition group: expected at least one guid", "group");
    if (after.length === 0) throw new NepiError("BAD_CONDITION", "condition after: expected at least one guid", "after");
    for (const g of [...subjects, ...after]) this.resource(g);
    const waitable = RESOURCE_STATES.filter(isWaitable);
    if (!waitable.includes(state)) {
      throw new NepiError(
        "BAD_CONDITION",
        `condition state: "${state}" cannot be waited for (one of ${waitable.join(", ")})`,
        "state",
      );
    }
    const self = subjects.find((g) => after.includes(g));
    if (self !== undefined) {
      throw new NepiError("BAD_CONDITION", `condition: ${this.describe(self)} cannot wait on itself`, "after");
    }
    const delayMs = delay === undefined ? 0 : parseTime(delay, "delay");
    return { subjects, after, delayMs };
  }
}
