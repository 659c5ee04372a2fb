import type { inferRouterOutputs } from "@trpc/server";
import { catalogRouter } from "./catalog.js";
import { experimentsRouter } from "./experiments.js";
import { hostsExecRouter } from "./hosts-exec.js";
import { runsRouter } from "./runs.js";
import { router } from "./trpc.js";

/** The whole API, mounted at /trpc (HTTP, plus WebSocket or SSE for subscriptions). */
export const appRouter = router({
  catalog: catalogRouter,
  experiments: experimentsRouter,
  runs: runsRouter,
  hosts: hostsExecRouter,
});

export type AppRouter = typeof appRouter;

/** What each procedure answers, as the client receives it (the web app types its calls with it). */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
