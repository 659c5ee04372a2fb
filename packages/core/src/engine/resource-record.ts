import type { AttributeValue, ResourceTypeInfo } from "../model/catalog-schema.js";
import type { StateEvent } from "../model/events.js";
import type { ResourceState } from "../model/states.js";
import type { Gate } from "./gates.js";
import type { ResourceManager } from "./resource-manager.js";

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
  /** Highest lifecycle rank reached so far (FAILED/RELEASED do not lower it). */
  maxRank: number;
  /** When each rank was first reached, ms since epoch (NOT_REACHED otherwise). */
  reachedAt: number[];
  history: StateEvent[];
  /** Gates this resource is a subject of (conditions on it, its deploy order). */
  gates: Gate[];
  pending: Record<"DEPLOY" | "START" | "STOP", number>;
  hasStopGate: boolean;
  scheduled: boolean;
  busy: { deploy?: true; start?: true; stop?: true };
  /** A `finished()`/`failed()` that arrived while `start` was still running. */
  earlyEnd?: { reason?: string };
  manager?: ResourceManager;
  /** Created only when a manager asks for its signal (an AbortController is costly). */
  abort?: AbortController;
  /** Operations in progress, and who waits for there to be none (release). */
  inflight: number;
  idle?: () => void;
  listeners?: Set<(e: StateEvent) => void>;
  releasing: boolean;
  released: boolean;
  releaseDone?: Promise<void>;
}

