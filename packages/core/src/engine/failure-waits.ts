import { ResourceState, stateRank } from "../model/states.js";
import type { Gate } from "./gates.js";
import { comesBack, isGone, isReleased, type Resource } from "./resource-record.js";

/**
 * Where a resource stands with respect to the state a gate awaits: reached (and when), not
 * yet, or never. A wait on FAILED is met when the resource fails, and can never be once it
 * ended without failing (FINISHED, STOPPED) or was released; a wait on any other state can
 * never be met once the resource failed or was released before reaching it.
 */
export type Progress = { at: number } | "pending" | "never";

const ENDED_RANK = stateRank(ResourceState.FINISHED);

export function progressToward(r: Resource, state: ResourceState): Progress {
  if (state === ResourceState.FAILED) {
    if (r.state === ResourceState.FAILED) return { at: failedAt(r) };
    // Being redeployed: it may still fail in its next life.
    if (comesBack(r)) return "pending";
    return r.maxRank >= ENDED_RANK || r.state === ResourceState.RELEASED || isReleased(r) ? "never" : "pending";
  }
  const target = stateRank(state);
  if (r.maxRank >= target) return { at: r.reachedAt[target]! };
  return isGone(r) ? "never" : "pending";
}

/** When `r` last failed (its history's last FAILED transition). */
function failedAt(r: Resource): number {
  for (let i = r.history.length - 1; i >= 0; i--) if (r.history[i]!.state === ResourceState.FAILED) return r.history[i]!.at;
  return Date.now();
}

/**
 * What a wait on FAILED that can never open does to its subject: a STOP or a SET planned for a
 * failure is dropped (the subject carries on as if the condition were not there); a DEPLOY or
 * START fails the subject with the reason, as any wait that can never be met does.
 */
export function dropsWhenBroken(gate: Gate): boolean {
  return gate.state === ResourceState.FAILED && (gate.action === "STOP" || gate.action === "SET");
}

/**
 * A STOP on a failure ("STOP the load generator when the server FAILED") is not one more wait
 * of the subject's STOP: it stops the subject when the failure happens, whatever its other STOP
 * conditions wait for, and holds nothing back when the failure does not come.
 */
export function isFailureStop(gate: Gate): boolean {
  return gate.action === "STOP" && gate.state === ResourceState.FAILED;
}
