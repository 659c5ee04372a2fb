// The network under test, planned: pure and browser-safe (the managers run what it says).
export * from "./capabilities.js";
export * from "./names.js";
export * from "./plan.js";
export * from "./shaping.js";
export { formatIpv4, formatSubnet, parseIpv4, parseSubnet, type Subnet } from "./ipv4.js";
export * from "./batch.js";
