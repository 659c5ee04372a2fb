// One import per Linux resource type: each manager file registers itself.
export { LinuxNodeManager } from "./node.js";
export { LinuxApplicationManager } from "./application.js";
export { LinuxPingManager } from "./ping.js";
export { LinuxTracerouteManager } from "./traceroute.js";
export { LinuxTcpdumpManager } from "./tcpdump.js";
export { LinuxIperf3Manager } from "./iperf3.js";
export { LinuxMtrManager } from "./mtr.js";
