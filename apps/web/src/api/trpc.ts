import { createTRPCClient, createWSClient, httpBatchLink, splitLink, wsLink, TRPCClientError } from "@trpc/client";
import type { AppRouter } from "@nepi/backend/router";

/**
 * The one tRPC client of the web app. Queries and mutations go over HTTP (batched) to /trpc on
 * the same origin; subscriptions (runs.events, runs.trace) over a WebSocket on /trpc. Plain
 * JSON, no transformer — like the backend. The Vite dev server proxies /trpc to the backend.
 */
const origin = typeof window !== "undefined" ? window.location.origin : "http://127.0.0.1:7070";
const wsUrl = origin.replace(/^http/, "ws") + "/trpc";

// Lazy: the socket opens with the first subscription and closes when none is left.
export const wsClient = createWSClient({ url: wsUrl, lazy: { enabled: true, closeMs: 10_000 } });

export const trpc = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === "subscription",
      true: wsLink<AppRouter>({ client: wsClient }),
      false: httpBatchLink({ url: `${origin}/trpc`, maxURLLength: 4000 }),
    }),
  ],
});

export type { AppRouter };

/** A readable message from whatever a tRPC call threw (zod field errors included). */
export function errorMessage(err: unknown): string {
  if (err instanceof TRPCClientError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
