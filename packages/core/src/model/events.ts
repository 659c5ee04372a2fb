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
});
export type StateEvent = z.infer<typeof StateEventSchema>;
