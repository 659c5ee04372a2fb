import type { ResourceTypeInfo } from "../../model/catalog-schema.js";
import { COMMON_ATTRIBUTES } from "../common.js";
import { NET_ENDPOINT_ROLE } from "../roles.js";
import { NETNS_COLOR } from "./netns-shared.js";

/**
 * A shaped link between two namespace hosts or switches (a veth pair, or a VXLAN tunnel when its
 * ends are on different machines). rate, delay, jitter, loss and up have no `design` flag: they
 * may change while the run goes on (`set`, `setWithConditions`) and act on the running link.
 */
export const NETNS_LINK: ResourceTypeInfo = {
  rtype: "netns::Link",
  backend: "netns",
  help: "A link between two emulated hosts or switches, shaped alike in both directions; its shaping may change during the run.",
  attributes: [
    { name: "rate", type: "string", help: "Rate limit, as tc writes it (10mbit, 512kbit); empty: unlimited.", flags: {} },
    { name: "delay", type: "time", help: "One-way delay added in each direction (needs netem).", flags: {} },
    { name: "jitter", type: "time", help: "Delay variation (needs netem; with delay).", flags: {} },
    {
      name: "loss",
      type: "double",
      help: "Packets dropped in each direction, percent (netem, or nftables where netem is missing).",
      default: 0,
      min: 0,
      max: 100,
      flags: {},
    },
    {
      name: "up",
      type: "boolean",
      help: "The link carries packets (false: it is down, as a cut cable).",
      default: true,
      flags: {},
    },
    {
      name: "subnet",
      type: "string",
      help: "IPv4 subnet of the link's segment, CIDR (10.0.3.0/24); empty: allocated.",
      flags: { design: true },
    },
    ...COMMON_ATTRIBUTES,
  ],
  traces: [
    {
      name: "counters",
      help: "Interface byte counters, one line per sample: <epoch ms> <bytes end 1 → end 2> <bytes end 2 → end 1> <1 up | 0 down>.",
    },
  ],
  roles: [],
  connections: [
    {
      role: NET_ENDPOINT_ROLE,
      min: 2,
      max: 2,
      deployAfter: "PROVISIONED",
      help: "The two hosts or switches it joins.",
    },
  ],
  finishes: "never",
  look: { abbreviation: "LK", group: "network", summary: "{rate} {delay} {loss}", color: NETNS_COLOR, drawnAs: "edge" },
  charts: [],
  packages: ["iproute2"],
  platform: "node",
};
