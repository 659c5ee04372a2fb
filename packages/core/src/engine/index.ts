export * from "./controller.js";
export * from "./resource-manager.js";
export { validateDocument } from "./validate.js";
export { findDeadlock } from "./deadlock.js";
export { toDryRun } from "./dry-run.js";
export type { Host, HostPaths, ExitChannel } from "./host.js";
