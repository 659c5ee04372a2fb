import { createTRPCClient, createWSClient, httpBatchLink, splitLink, wsLink, TRPCClientError, type TRPCLink } from "@trpc/client";
import type { AppRouter } from "@nepi/backend/router";

/**
 * The one tRPC client of the web app. Queries and mutations go over HTTP (batched) to /trpc on
 * the same origin; subscriptions (runs.events, runs.trace) over a WebSocket on /trpc. Plain
 * JSON, no transformer — like the backend. The Vite dev server proxies /trpc to the backend.
 */
const origin = typeof window !== "undefined" ? window.location.origin : "http://127.0.0.1:7070";
const wsUrl = origin.replace(/^http/, "ws") + "/trpc";

let wsClient: ReturnType<typeof createWSClient> | null = null;

/** The WebSocket client, made on the first subscription (and never where none is needed, as in unit tests). */
export function getWsClient(): ReturnType<typeof createWSClient> {
  // Lazy: the socket opens with the first subscription and closes a while after the last one.
  wsClient ??= createWSClient({ url: wsUrl, lazy: { enabled: true, closeMs: 10_000 } });
  return wsClient;
}

const lazyWsLink: TRPCLink<AppRouter> = (runtime) => {
  let link: ReturnType<TRPCLink<AppRouter>> | null = null;
  return (op) => {
    link ??= wsLink<AppRouter>({ client: getWsClient() })(runtime);
    return link(op);
  };
};

export const trpc = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === "subscription",
      true: lazyWsLink,
      false: httpBatchLink({ url: `${origin}/trpc`, maxURLLength: 4000 }),
    }),
  ],
});

export type { AppRouter };

/** A readable message from whatever a tRPC call threw (zod field errors included). */
export function errorMessage(err: unknown): string {
  if (err instanceof TRPCClientError) {
    // No answer, or not tRPC's JSON (a proxy's error page): the server is down or unreachable.
    if (/Failed to fetch|NetworkError|JSON|Unexpected (end|token)/i.test(err.message) && !err.data) {
      return "the NEPI Studio server does not answer (is it running?)";
    }
    return err.message;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
