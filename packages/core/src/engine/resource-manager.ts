import type { AttributeValue } from "../model/catalog-schema.js";
import type { ResourceState, TraceAttr } from "../model/states.js";
import type { Host, HostReach, ReachOptions } from "./host.js";

/** Options of `trace()`: NEPI's TraceAttr plus the block for STREAM. */
export interface TraceQuery {
  attr?: TraceAttr;
  /** STREAM: bytes per block (default 512). */
  block?: number;
  /** STREAM: number of blocks to skip. */
  offset?: number;
}
export type TraceResult = string | number;

/** What `collectTraces` could not copy: each trace's name and why. */
export interface TraceCollection {
  missing: Array<{ name: string; reason: string }>;
}

/** A view of one resource the controller hands to its manager. */
export interface ResourceContext {
  readonly guid: number;
  readonly rtype: string;
  readonly label: string | undefined;
  readonly expId: string;
  readonly runId: string;
  /** Local directory for this run's results (`<rootDir>/<expId>/<runId>`). */
  readonly runDir: string;
  /**
   * One object for every resource of this run in this controller: the key of what their
   * managers share (an emulated network's plan), so two controllers of one run never share it.
   */
  readonly runScope: object;
  /** The resource's current attribute value (defaults applied). */
  get(name: string): AttributeValue | undefined;
  /** The resource's current state. */
  state(): ResourceState;
  /** Which attempt this is: 1, then 2, 3… when a failed deploy, start or run is tried again. */
  readonly attempt: number;
  /** Traces the user enabled on this resource. */
  enabledTraces(): string[];
  /** Resources connected to this one, optionally only those with a role. */
  connected(role?: string): ResourceHandle[];
  /** The host this resource runs on: the one connected resource with the `host` role. */
  host(): Host;
  /** The manager of another resource of the experiment (for shared things such as a host). */
  resource(guid: number): ResourceHandle;
  /** The manager tells the controller the resource ended by itself (exit 0). */
  finished(): void;
  /** The manager tells the controller the resource failed while running. */
  failed(reason: string): void;
  /** Append a line to the experiment's log (never with credential values). */
  log(message: string): void;
  /**
   * Awaits `work` shared with other resources (a machine's batched build) without holding an
   * operation-pool slot meanwhile, so that the others can join it: the batch, not the pool,
   * bounds what runs. Only inside a step (discover, provision, start, stop, release).
   */
  outsidePool<T>(work: Promise<T>): Promise<T>;
  /** Aborted when the experiment fails or the resource is released: stop waiting. */
  readonly signal: AbortSignal;
}

export interface ResourceHandle {
  readonly guid: number;
  readonly rtype: string;
  readonly label: string | undefined;
  get(name: string): AttributeValue | undefined;
  state(): ResourceState;
  /** The host it runs on (its `host`-role connection). */
  host(): Host;
  /** The resources connected to it, optionally only those with a role. */
  connected(role?: string): ResourceHandle[];
  readonly manager: ResourceManager;
}

/**
 * What a resource type implements. Every step is optional: a missing one just succeeds.
 * A step that throws (or rejects) puts the resource in FAILED with the error's message.
 * `start` returning means STARTED; the resource later calls `ctx.finished()` /
 * `ctx.failed()` when it ends by itself. `stop` returning means STOPPED.
 */
export interface ResourceManager {
  discover?(): Promise<void> | void;
  provision?(): Promise<void> | void;
  start?(): Promise<void> | void;
  stop?(): Promise<void> | void;
  /** Free everything the resource used (processes, files). Must be idempotent. */
  release?(): Promise<void> | void;
  trace?(name: string, query: TraceQuery): Promise<TraceResult> | TraceResult;
  /**
   * Follow a trace live: `onChunk` gets every new piece of text from byte `offset` on, as it
   * is produced (events, never polling). Returns a function that stops following.
   */
  followTrace?(name: string, offset: number, onChunk: (chunk: string, offset: number) => void): () => void;
  /**
   * Copy the enabled traces into `ctx.runDir` (called before release; Node managers only), and
   * say which could not be copied. A throw means none of them was.
   */
  collectTraces?(): Promise<TraceCollection | void> | TraceCollection | void;
  /** A manager of a `host`-role type lends the resources on it its transport, paths and installs. */
  asHost?(): Host;
  /**
   * A manager of a `host`-role type: its host's transport for tools outside a run (`nepi exec`),
   * from the shared pool; needs only the resource's attributes (`ctx.get`), no deploy.
   */
  reach?(options?: ReachOptions): HostReach;
  /** Called when an attribute changes during the run (setWithConditions). */
  onAttributeChanged?(name: string, value: AttributeValue): Promise<void> | void;
}

export type ResourceManagerFactory = (ctx: ResourceContext) => ResourceManager;
