/** Resource lifecycle states, as NEPI names them. */
export const ResourceState = {
  NEW: "NEW",
  DISCOVERED: "DISCOVERED",
  PROVISIONED: "PROVISIONED",
  READY: "READY",
  STARTED: "STARTED",
  STOPPED: "STOPPED",
  FINISHED: "FINISHED",
  FAILED: "FAILED",
  RELEASED: "RELEASED",
} as const;
export type ResourceState = (typeof ResourceState)[keyof typeof ResourceState];
export const RESOURCE_STATES = Object.values(ResourceState) as ResourceState[];

/** What a condition can make a resource do. */
export const ResourceAction = { DEPLOY: "DEPLOY", START: "START", STOP: "STOP" } as const;
export type ResourceAction = (typeof ResourceAction)[keyof typeof ResourceAction];
export const RESOURCE_ACTIONS = Object.values(ResourceAction) as ResourceAction[];

/** How `trace()` reads a trace. */
export const TraceAttr = { ALL: "ALL", STREAM: "STREAM", PATH: "PATH", SIZE: "SIZE" } as const;
export type TraceAttr = (typeof TraceAttr)[keyof typeof TraceAttr];

/** State of the whole experiment controller. */
export const EcState = { RUNNING: "RUNNING", FAILED: "FAILED", TERMINATED: "TERMINATED" } as const;
export type EcState = (typeof EcState)[keyof typeof EcState];

/**
 * Rank of a state in the lifecycle order. STOPPED and FINISHED share a rank: both mean
 * "ended", and a wait or condition on either accepts the other. FAILED and RELEASED are
 * terminal and not comparable (rank -1): they never satisfy "at least X".
 */
const RANK: Record<ResourceState, number> = {
  NEW: 0,
  DISCOVERED: 1,
  PROVISIONED: 2,
  READY: 3,
  STARTED: 4,
  STOPPED: 5,
  FINISHED: 5,
  FAILED: -1,
  RELEASED: -1,
};
export function stateRank(state: ResourceState): number {
  return RANK[state];
}
/** True when `state` is `target` or later in the lifecycle (FAILED/RELEASED never are). */
export function hasReached(state: ResourceState, target: ResourceState): boolean {
  const r = RANK[state];
  return r >= 0 && r >= RANK[target];
}
/**
 * Whether a condition may wait for `state`: any lifecycle state after NEW, and FAILED (a
 * failure can be planned for: stop the load generator when the server FAILED). RELEASED cannot.
 */
export function isWaitable(state: ResourceState): boolean {
  return RANK[state] > 0 || state === "FAILED";
}
export function isTerminal(state: ResourceState): boolean {
  return state === "FAILED" || state === "RELEASED";
}
