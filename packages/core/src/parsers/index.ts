// Browser-safe parsers of the Linux resources' outputs: the web plots them, the CLI prints them.
export * from "./ping.js";
export * from "./iperf3.js";
export * from "./traceroute.js";
export * from "./link-counters.js";
