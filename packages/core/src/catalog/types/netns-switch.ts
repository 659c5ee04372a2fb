import type { ResourceTypeInfo } from "../../model/catalog-schema.js";
import { COMMON_ATTRIBUTES } from "../common.js";
import { NET_ENDPOINT_ROLE } from "../roles.js";
import { NETNS_COLOR, ON_MACHINE } from "./netns-shared.js";

export const NETNS_SWITCH: ResourceTypeInfo = {
  rtype: "netns::Switch",
  backend: "netns",
  help: "An emulated switch: a Linux bridge on a machine; the links to it form one segment (one subnet).",
  attributes: [...COMMON_ATTRIBUTES],
  traces: [],
  roles: [NET_ENDPOINT_ROLE],
  connections: [ON_MACHINE],
  finishes: "never",
  look: { abbreviation: "SW", group: "network", color: NETNS_COLOR },
  charts: [],
  packages: ["iproute2"],
  platform: "node",
};
