export * from "./registry.js";
export * from "./attributes.js";
export * from "./rules.js";
export * from "./roles.js";
export * from "./links.js";
export * from "./look.js";
export { CRITICAL_ATTRIBUTE } from "./common.js";
export * from "./types/index.js";
export * from "./credentials.js";
