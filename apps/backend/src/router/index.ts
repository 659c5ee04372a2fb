import { catalogRouter } from "./catalog.js";
import { experimentsRouter } from "./experiments.js";
import { runsRouter } from "./runs.js";
import { router } from "./trpc.js";

/** The whole API, mounted at /trpc (HTTP, plus WebSocket or SSE for subscriptions). */
export const appRouter = router({
  catalog: catalogRouter,
  experiments: experimentsRouter,
  runs: runsRouter,
});

export type AppRouter = typeof appRouter;
