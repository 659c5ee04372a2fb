// One line per resource type: its definition. The list of types is read from this module.
export { SIM_TASK } from "./sim-task.js";
export { LINUX_NODE } from "./linux-node.js";
export { LINUX_APPLICATION } from "./linux-application.js";
export { LINUX_PING } from "./linux-ping.js";
export { LINUX_TRACEROUTE } from "./linux-traceroute.js";
export { LINUX_TCPDUMP } from "./linux-tcpdump.js";
export { LINUX_IPERF3 } from "./linux-iperf3.js";
export { LINUX_MTR } from "./linux-mtr.js";
export { NETNS_NODE } from "./netns-node.js";
export { NETNS_SWITCH } from "./netns-switch.js";
export { NETNS_LINK } from "./netns-link.js";
