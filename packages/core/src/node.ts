// Node-only entry of @nepi/core: everything of the browser-safe entry, plus the transports
// (local and SSH) and the linux::* resource managers, registered on import.
export * from "./index.js";
export * from "./transport/index.js";
export * from "./resources/linux/index.js";
export * from "./resources/netns/index.js";
export { checkHosts, type CheckHostsOptions } from "./hosts/check.js";
export { documentHost, registerHostSettings, type DocumentHost, type HostSettingsOf } from "./resources/host-settings.js";
// Shadows the browser-safe controller exported above: this one also writes timeline.json.
export { ExperimentController } from "./results.js";
export { execOnHosts, type ExecOnHostsOptions } from "./hosts/exec.js";
export * from "./campaign/index.js";
export { buildManifest, resolvedDocument } from "./manifest.js";
