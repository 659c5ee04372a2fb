// One import per network resource type: each manager file registers itself.
export { NetnsNodeManager } from "./node.js";
export { NetnsSwitchManager } from "./switch.js";
export { NetnsLinkManager } from "./link.js";
export { networkTag } from "./network.js";
