import type { Store } from "../store/store.js";
import type { RunManager } from "../runs/run-manager.js";
import type { Logger } from "../server/log.js";
import type { OpenStreams } from "./streams.js";

/** What every procedure can use: the store, the runs and the log. */
export interface Services {
  store: Store;
  runs: RunManager;
  log: Logger;
  streams: OpenStreams;
}
