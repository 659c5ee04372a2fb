export * from "./controller.js";
export * from "./resource-manager.js";
export { validateDocument } from "./validate.js";
export { findDeadlock } from "./deadlock.js";
export type { Host, HostPaths, ExitChannel, HostReach, ReachOptions } from "./host.js";
export { documentView, type DesignView } from "./design-view.js";
export {
  blockedWait,
  deployDependencies,
  mayEndByItself,
  startsTogether,
  type BlockedWait,
  type Dependency,
} from "./design-rules.js";
export { criticalPath, type CriticalLink } from "./critical-path.js";
export { formatDelay } from "./explain.js";
