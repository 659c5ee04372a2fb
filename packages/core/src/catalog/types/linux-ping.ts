import type { ResourceTypeInfo } from "../../model/catalog-schema.js";
import { LINUX_COLOR, OUTPUT_TRACES, PROCESS_ATTRIBUTES, RUNS_ON_HOST } from "./linux-shared.js";

export const LINUX_PING: ResourceTypeInfo = {
  rtype: "linux::Ping",
  backend: "linux",
  help: "ping a target from a host; its stdout gives the RTT series and the loss.",
  attributes: [
    { name: "target", type: "string", help: "Host name or address to ping.", required: true, flags: { design: true } },
    { name: "count", type: "integer", help: "Number of echo requests.", default: 5, min: 1, flags: { design: true } },
    { name: "interval", type: "double", help: "Seconds between requests.", default: 1, min: 0.002, flags: { design: true } },
    { name: "packetSize", type: "integer", help: "Payload bytes.", min: 0, max: 65507, flags: { design: true } },
    { name: "ttl", type: "integer", help: "IP time to live.", min: 1, max: 255, flags: { design: true } },
    ...PROCESS_ATTRIBUTES,
  ],
  traces: OUTPUT_TRACES,
  roles: [],
  connections: [RUNS_ON_HOST],
  finishes: "always",
  look: { abbreviation: "PG", group: "linux", summary: "ping {target}", color: LINUX_COLOR },
  charts: [{ trace: "stdout", parser: "ping" }],
  packages: ["iputils-ping"],
  platform: "node",
};
