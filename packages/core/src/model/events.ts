import { z } from "zod";
import { RESOURCE_STATES, type ResourceState } from "./states.js";

const StateEnum = z.enum(RESOURCE_STATES as [ResourceState, ...ResourceState[]]);

/** One resource transition: what `ec.on("state")` emits and `ec.timeline()` lists. */
export const StateEventSchema = z.object({
  guid: z.number().int(),
  state: StateEnum,
  previous: StateEnum,
  /** Milliseconds since the epoch. */
  at: z.number(),
  reason: z.string().optional(),
});
export type StateEvent = z.infer<typeof StateEventSchema>;
