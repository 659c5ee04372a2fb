import WebSocket from "ws";

export interface TransitionSeen {
  guid: number;
  state: string;
  at: number;
  /** When this process received it (ms since the epoch, sub-ms resolution). */
  receivedAt: number;
}

export interface NodeSubscriber {
  transitions: TransitionSeen[];
  /** Resolves once a transition matching `match` was received (at once if it already was). */
  waitFor(match: (t: TransitionSeen) => boolean): Promise<TransitionSeen>;
  close(): void;
}

/**
 * Subscribes to a run's runs.events from this process over tRPC's WebSocket protocol (plain
 * JSON, as any script would): what the backend delivers without a browser in the way.
 */
export async function subscribeFromNode(baseURL: string, runId: string): Promise<NodeSubscriber> {
  const socket = new WebSocket(baseURL.replace(/^http/, "ws") + "/trpc");
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  const transitions: TransitionSeen[] = [];
  const waiters: { match: (t: TransitionSeen) => boolean; resolve: (t: TransitionSeen) => void }[] = [];
  socket.on("message", (raw) => {
    const receivedAt = performance.timeOrigin + performance.now();
    // tRPC sends text frames, which ws hands over as one Buffer.
    const parsed = JSON.parse((raw as Buffer).toString("utf8")) as unknown;
    for (const msg of Array.isArray(parsed) ? parsed : [parsed]) {
      const ev = (
        msg as { result?: { data?: { data?: { type?: string; event?: { guid: number; state: string; at: number } } } } }
      ).result?.data?.data;
      if (ev?.type !== "transition" || !ev.event) continue;
      const t = { guid: ev.event.guid, state: ev.event.state, at: ev.event.at, receivedAt };
      transitions.push(t);
      for (const w of waiters.splice(0)) {
        if (w.match(t)) w.resolve(t);
        else waiters.push(w);
      }
    }
  });
  socket.send(JSON.stringify({ id: 1, method: "subscription", params: { path: "runs.events", input: { runId } } }));
  return {
    transitions,
    waitFor(match) {
      const seen = transitions.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
    close: () => socket.close(),
  };
}
