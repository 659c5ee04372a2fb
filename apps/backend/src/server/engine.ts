import type { Logger } from "./log.js";

let loaded: Promise<boolean> | undefined;

/**
 * Registers the Node-only resource managers (linux::*, through local and SSH transports) by
 * loading `@nepi/core/node` once. Without it only browser-safe types (sim::*) can run.
 */
export function loadNodeResources(log: Logger): Promise<boolean> {
  // Not optional (runs/active-run.ts imports it too): loading it registers the linux managers; a failure is logged.
  const entry = "@nepi/core/node";
  loaded ??= import(entry).then(
    () => true,
    (err: Error) => {
      log(`linux resources unavailable (${entry} did not load: ${err.message}); only sim::* types can run`);
      return false;
    },
  );
  return loaded;
}
