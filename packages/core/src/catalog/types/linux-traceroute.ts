import type { ResourceTypeInfo } from "../../model/catalog-schema.js";
import { LINUX_COLOR, OUTPUT_TRACES, PROCESS_ATTRIBUTES, RUNS_ON_HOST } from "./linux-shared.js";

export const LINUX_TRACEROUTE: ResourceTypeInfo = {
  rtype: "linux::Traceroute",
  backend: "linux",
  help: "traceroute to a target from a host; its stdout gives the hops.",
  attributes: [
    { name: "target", type: "string", help: "Host name or address.", required: true, flags: { design: true } },
    { name: "maxHops", type: "integer", help: "Maximum number of hops.", default: 30, min: 1, max: 255, flags: { design: true } },
    { name: "queries", type: "integer", help: "Probes per hop.", default: 3, min: 1, max: 10, flags: { design: true } },
    { name: "numeric", type: "boolean", help: "Do not resolve addresses to names.", default: true, flags: { design: true } },
    ...PROCESS_ATTRIBUTES,
  ],
  traces: OUTPUT_TRACES,
  roles: [],
  connections: [RUNS_ON_HOST],
  finishes: "always",
  look: { abbreviation: "TR", group: "linux", summary: "traceroute {target}", color: LINUX_COLOR },
  charts: [],
  packages: ["traceroute"],
  platform: "node",
};
