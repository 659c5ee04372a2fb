import type { AttributeValue } from "../model/catalog-schema.js";
import { NepiError } from "../model/errors.js";
import type { StateEvent } from "../model/events.js";
import type { ResourceState } from "../model/states.js";
import { isReleasing, type Resource } from "./resource-record.js";
import type { ResourceContext, ResourceHandle, ResourceManager } from "./resource-manager.js";
import type { Host } from "./host.js";
import { HOST_ROLE } from "../catalog/roles.js";

/** The few controller services a resource context uses. */
export interface ContextHost {
  expId(): string;
  runId(): string;
  runDir(): string;
  resource(guid: number): Resource;
  attribute(r: Resource, name: string): AttributeValue | undefined;
  ended(r: Resource, failure?: string): void;
  log(guid: number, message: string): void;
  outsidePool<T>(work: Promise<T>): Promise<T>;
}

/** A read-only view of another resource, for managers that share things (a host's connection). */
class Handle implements ResourceHandle {
  constructor(
    protected readonly ec: ContextHost,
    protected readonly r: Resource,
  ) {}
  get guid(): number {
    return this.r.guid;
  }
  get rtype(): string {
    return this.r.info.rtype;
  }
  get label(): string | undefined {
    return this.r.label;
  }
  get(name: string): AttributeValue | undefined {
    return this.ec.attribute(this.r, name);
  }
  state(): ResourceState {
    return this.r.state;
  }
  get manager(): ResourceManager {
    if (!this.r.manager) throw new NepiError("WRONG_STATE", `guid ${this.r.guid} is not deployed`);
    return this.r.manager;
  }
  connected(role?: string): ResourceHandle[] {
    const out: ResourceHandle[] = [];
    for (const g of this.r.connections) {
      const x = this.ec.resource(g);
      if (!role || x.info.roles.includes(role)) out.push(new Handle(this.ec, x));
    }
    return out;
  }
  host(): Host {
    const hosts = this.connected(HOST_ROLE);
    const where = `${this.r.info.rtype} guid ${this.r.guid}`;
    if (hosts.length !== 1)
      throw new NepiError("BAD_CONNECTION", `${where} must run on exactly one host (it is connected to ${hosts.length})`);
    const host = hosts[0]!.manager.asHost?.();
    if (!host)
      throw new NepiError(
        "BAD_CONNECTION",
        `${where}: its host guid ${hosts[0]!.guid} (${hosts[0]!.rtype}) lends no host services`,
      );
    return host;
  }
}

/**
 * What a manager sees of its resource. A small object per resource with its methods on the
 * prototype (no closures per resource), and an AbortController made only when asked for:
 * experiments hold up to 100,000 resources.
 */
export class ResourceContextImpl extends Handle implements ResourceContext {
  get expId(): string {
    return this.ec.expId();
  }
  get runId(): string {
    return this.ec.runId();
  }
  get runDir(): string {
    return this.ec.runDir();
  }
  get runScope(): object {
    return this.ec;
  }
  get signal(): AbortSignal {
    if (!this.r.abort) {
      this.r.abort = new AbortController();
      if (isReleasing(this.r) || this.r.state === "FAILED") this.r.abort.abort();
    }
    return this.r.abort.signal;
  }
  get attempt(): number {
    return this.r.attempt;
  }
  enabledTraces(): string[] {
    return [...this.r.traces];
  }
  resource(guid: number): ResourceHandle {
    return new Handle(this.ec, this.ec.resource(guid));
  }
  finished(): void {
    this.ec.ended(this.r);
  }
  failed(reason: string): void {
    this.ec.ended(this.r, reason);
  }
  log(message: string): void {
    this.ec.log(this.r.guid, message);
  }
  outsidePool<T>(work: Promise<T>): Promise<T> {
    return this.ec.outsidePool(work);
  }
  /** This resource's transitions so far (engine-internal managers such as sim::Task use it). */
  history(): readonly StateEvent[] {
    return this.r.history;
  }
  /** Calls `listener` on each further transition of this resource; returns an unsubscribe. */
  onTransition(listener: (e: StateEvent) => void): () => void {
    (this.r.listeners ??= new Set()).add(listener);
    return () => this.r.listeners?.delete(listener);
  }
}

/**
 * The context of a resource in a dry run, where the `sim::Task` manager stands in for its own:
 * it reads the simulated task's attributes (a duration when the resource ends by itself, no
 * deploy time, no failure) instead of the resource's.
 */
export class DryRunContext extends ResourceContextImpl {
  constructor(
    host: ContextHost,
    r: Resource,
    private readonly duration: string | undefined,
  ) {
    super(host, r);
  }
  override get(name: string): AttributeValue | undefined {
    if (name === "duration") return this.duration;
    if (name === "deployTime") return "0s";
    if (name === "failIn") return "none";
    return super.get(name);
  }
}
