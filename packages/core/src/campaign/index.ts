// Campaigns (Node entry): repetitions until a metric converges, parameter sweeps, resumable results.
export * from "./stats.js";
export * from "./metrics.js";
export * from "./points.js";
export * from "./results-files.js";
export * from "./runner.js";
export * from "./plan.js";
export * from "./run-once.js";
