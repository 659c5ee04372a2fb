import { listResourceTypes } from "@nepi/core";
import { procedure, router } from "./trpc.js";

export const catalogRouter = router({
  /** Every resource type: attributes (with flags, defaults, allowed values), traces, connection rules. */
  list: procedure.query(() => listResourceTypes()),
});
