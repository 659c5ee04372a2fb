import { z } from "zod";
import { ResourceStateSchema } from "./state-schemas.js";

/** One resource transition: what `ec.on("state")` emits and `ec.timeline()` lists. */
export const StateEventSchema = z.object({
  guid: z.number().int(),
  state: ResourceStateSchema,
  previous: ResourceStateSchema,
  /** Milliseconds since the epoch. */
  at: z.number(),
  reason: z.string().optional(),
  /** The attempt this transition belongs to, from the second on (a retry: `retries`). */
  attempt: z.number().int().min(2).optional(),
});
export type StateEvent = z.infer<typeof StateEventSchema>;
