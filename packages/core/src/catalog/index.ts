export * from "./registry.js";
export * from "./attributes.js";
export * from "./rules.js";
export { SIM_TASK } from "./sim.js";
export * from "./linux.js";
export * from "./credentials.js";
