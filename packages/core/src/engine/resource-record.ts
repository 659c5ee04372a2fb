import type { AttributeValue, ResourceTypeInfo } from "../model/catalog-schema.js";
import type { StateEvent } from "../model/events.js";
import { isTerminal, type ResourceState } from "../model/states.js";
import type { Gate } from "./gates.js";
import type { ResourceManager } from "./resource-manager.js";

/** A manager operation of the lifecycle. */
export type Operation = "deploy" | "start" | "stop";

/**
 * Where the engine is with a resource: exactly one phase at a time. The resource's NEPI
 * `state` says what it has reached; the phase says what the engine is doing with it.
 *
 *   registered → scheduled → deploying → idle ⇄ starting/stopping
 *   any of them → releasing → released
 *   redeploy:  releasing (redeploy) → redeploying → scheduled → …
 */
export type Phase =
  /** In the design; no deploy() took it yet. */
  | { readonly kind: "registered" }
  /** deploy() took it (its manager exists): it waits for its DEPLOY gates. */
  | { readonly kind: "scheduled" }
  /** A manager operation is in progress; a `finished()`/`failed()` during `start` waits for its end. */
  | { readonly kind: "busy"; readonly op: Operation; readonly endedEarly?: { reason?: string } }
  /** Deployed, no operation in progress. */
  | { readonly kind: "idle" }
  /**
   * Release was asked for: nothing new starts. It waits for the operation still `finishing`
   * (`whenIdle` hears of its end), then runs; `done` is its promise once it must be waited for.
   */
  | {
      readonly kind: "releasing";
      readonly finishing?: Operation;
      readonly whenIdle?: () => void;
      readonly done?: Promise<void>;
      /** Released to be deployed again (`redeploy`): what waits on it keeps waiting. */
      readonly redeploy?: true;
    }
  | { readonly kind: "released" }
  /** Released by a redeploy, about to be scheduled again with what runs on it. */
  | { readonly kind: "redeploying" };

// Shared phase objects: moving 100,000 resources through their lifecycle allocates none.
export const REGISTERED: Phase = { kind: "registered" };
export const SCHEDULED: Phase = { kind: "scheduled" };
export const IDLE: Phase = { kind: "idle" };
export const RELEASING: Phase = { kind: "releasing" };
export const RELEASED: Phase = { kind: "released" };
export const REDEPLOY_RELEASING: Phase = { kind: "releasing", redeploy: true };
export const REDEPLOYING: Phase = { kind: "redeploying" };
export const BUSY: Readonly<Record<Operation, Phase>> = {
  deploy: { kind: "busy", op: "deploy" },
  start: { kind: "busy", op: "start" },
  stop: { kind: "busy", op: "stop" },
};

/** What the controller keeps of one resource. */
export interface Resource {
  guid: number;
  info: ResourceTypeInfo;
  label?: string;
  position?: { x: number; y: number };
  values: Map<string, AttributeValue>;
  traces: Set<string>;
  connections: number[];
  state: ResourceState;
  reason?: string;
  phase: Phase;
  /** Highest lifecycle rank reached so far (FAILED/RELEASED do not lower it). */
  maxRank: number;
  /** When each rank was first reached, ms since epoch (NOT_REACHED otherwise). */
  reachedAt: number[];
  history: StateEvent[];
  /** Which attempt of its deploy/start/run this is (1, then more with `retries` or "Retry failed"). */
  attempt: number;
  /** Gates this resource is a subject of (conditions on it, its deploy order). */
  gates: Gate[];
  /** Gates of each action not open yet: the action waits until none is left. */
  pending: Record<"DEPLOY" | "START" | "STOP", number>;
  hasStopGate: boolean;
  manager?: ResourceManager;
  /** Created only when a manager asks for its signal (an AbortController is costly). */
  abort?: AbortController;
  listeners?: Set<(e: StateEvent) => void>;
}

/** deploy() took the resource in (it may still wait for its DEPLOY conditions). */
export function isScheduled(r: Resource): boolean {
  return r.manager !== undefined;
}

/** Release was asked for, or is done: nothing new may start. */
export function isReleasing(r: Resource): boolean {
  return r.phase.kind === "releasing" || r.phase.kind === "released" || r.phase.kind === "redeploying";
}

/** Being released by a redeploy: it comes back, so its RELEASED is not an end. */
export function comesBack(r: Resource): boolean {
  const p = r.phase;
  return p.kind === "redeploying" || (p.kind === "releasing" && p.redeploy === true);
}

/** FAILED or released for good: it will reach no other state (a gate or wait on it can give up). */
export function isGone(r: Resource): boolean {
  return (isTerminal(r.state) || r.phase.kind === "released") && !comesBack(r);
}

export function isReleased(r: Resource): boolean {
  return r.phase.kind === "released";
}

/** The operation in progress, if any (also while a release waits for it). */
export function operation(r: Resource): Operation | undefined {
  const p = r.phase;
  return p.kind === "busy" ? p.op : p.kind === "releasing" ? p.finishing : undefined;
}
