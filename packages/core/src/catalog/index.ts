export * from "./registry.js";
export * from "./attributes.js";
export * from "./rules.js";
export * from "./roles.js";
export * from "./links.js";
export * from "./look.js";
export { COMMON_ATTRIBUTES, CRITICAL_ATTRIBUTE, RETRIES_ATTRIBUTE, RETRY_DELAY_ATTRIBUTE } from "./common.js";
export * from "./types/index.js";
export * from "./credentials.js";
