import type { ResourceTypeInfo } from "../../model/catalog-schema.js";
import { COMMON_ATTRIBUTES } from "../common.js";
import { HOST_ROLE, NET_ENDPOINT_ROLE } from "../roles.js";
import { NETNS_COLOR, ON_MACHINE } from "./netns-shared.js";

export const NETNS_NODE: ResourceTypeInfo = {
  rtype: "netns::Node",
  backend: "netns",
  help: "An emulated host: a Linux network namespace on a machine. Applications run on it as on a Linux node, through the machine's connection.",
  attributes: [
    {
      name: "forwarding",
      type: "boolean",
      help: "Forward IP packets between its links (a router).",
      default: false,
      flags: { design: true },
    },
    ...COMMON_ATTRIBUTES,
  ],
  traces: [],
  roles: [HOST_ROLE, NET_ENDPOINT_ROLE],
  connections: [ON_MACHINE],
  finishes: "never",
  look: { abbreviation: "NS", group: "network", color: NETNS_COLOR },
  charts: [],
  packages: ["iproute2"],
  platform: "node",
};
