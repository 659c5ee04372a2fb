import type { inferRouterOutputs } from "@trpc/server";
import { campaignsRouter } from "./campaigns.js";
import { catalogRouter } from "./catalog.js";
import { experimentsRouter } from "./experiments.js";
import { hostsRouter } from "./hosts.js";
import { runsRouter } from "./runs.js";
import { router } from "./trpc.js";

/** The whole API, mounted at /trpc (HTTP, plus WebSocket or SSE for subscriptions). */
export const appRouter = router({
  catalog: catalogRouter,
  experiments: experimentsRouter,
  runs: runsRouter,
  campaigns: campaignsRouter,
  hosts: hostsRouter,
});

export type AppRouter = typeof appRouter;

/** What each procedure answers, as the client receives it (the web app types its calls with it). */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
