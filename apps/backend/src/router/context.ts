import type { Store } from "../store/store.js";
import type { RunManager } from "../runs/run-manager.js";
import type { CampaignManager } from "../campaigns/campaign-manager.js";
import type { Logger } from "../server/log.js";
import type { OpenStreams } from "./streams.js";

/** What every procedure can use: the store, the runs and the log. */
export interface Services {
  store: Store;
  runs: RunManager;
  campaigns: CampaignManager;
  log: Logger;
  streams: OpenStreams;
}

/** What a procedure knows of the connection it answers on (one WebSocket, or one HTTP request). */
export interface Connection {
  /**
   * Counts a subscription served on this connection, or throws TOO_MANY_REQUESTS when the
   * connection already has as many as it may. Call the returned function when it ends.
   */
  openSubscription(): () => void;
  /**
   * Resolves once the bytes queued on this connection have mostly left: a stream that reads
   * as fast as it likes (a trace file) waits for it instead of filling the server's memory.
   */
  drained(): Promise<void>;
}

export type Context = Services & { connection: Connection };
