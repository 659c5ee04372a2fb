import { NepiError } from "../model/errors.js";
import { RESOURCE_STATES, ResourceState, stateRank } from "../model/states.js";
import { isReleased, type Resource } from "./resource-record.js";

/**
 * What `ec.wait(guids, states)` accepts of a resource: it reached one of `states` — a lifecycle
 * state or any later one (STOPPED and FINISHED both mean ended), FAILED, or released.
 */
export function reachedOneOf(states: readonly ResourceState[]): (r: Resource) => boolean {
  if (states.length === 0) throw new NepiError("BAD_VALUE", "states: expected at least one state", "states");
  for (const s of states) {
    if (!RESOURCE_STATES.includes(s)) {
      throw new NepiError("BAD_VALUE", `states: "${String(s)}" is not a state (one of ${RESOURCE_STATES.join(", ")})`, "states");
    }
  }
  const failed = states.includes(ResourceState.FAILED);
  const released = states.includes(ResourceState.RELEASED);
  const ranks = states.map(stateRank).filter((k) => k >= 0);
  const rank = ranks.length > 0 ? Math.min(...ranks) : Number.POSITIVE_INFINITY;
  return (r) =>
    r.maxRank >= rank ||
    (failed && r.state === ResourceState.FAILED) ||
    (released && (isReleased(r) || r.state === ResourceState.RELEASED));
}
