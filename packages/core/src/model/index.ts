export * from "./states.js";
export * from "./state-schemas.js";
export * from "./time.js";
export * from "./errors.js";
export * from "./catalog-schema.js";
export * from "./document.js";
export * from "./events.js";
export * from "./run.js";
