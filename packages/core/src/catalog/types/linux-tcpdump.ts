import type { ResourceTypeInfo } from "../../model/catalog-schema.js";
import { LINUX_COLOR, OUTPUT_TRACES, PROCESS_ATTRIBUTES, RUNS_ON_HOST } from "./linux-shared.js";

export const LINUX_TCPDUMP: ResourceTypeInfo = {
  rtype: "linux::Tcpdump",
  backend: "linux",
  help: "Capture packets on a host's interface until stopped (needs root or sudo).",
  attributes: [
    { name: "interface", type: "string", help: "Interface to capture on.", default: "any", flags: { design: true } },
    { name: "filter", type: "string", help: "pcap filter expression.", flags: { design: true } },
    { name: "snaplen", type: "integer", help: "Bytes captured per packet.", default: 262144, min: 1, flags: { design: true } },
    ...PROCESS_ATTRIBUTES,
  ],
  traces: [{ name: "pcap", help: "The capture file." }, ...OUTPUT_TRACES],
  roles: [],
  connections: [RUNS_ON_HOST],
  finishes: "never",
  look: { abbreviation: "TD", group: "linux", summary: "tcpdump -i {interface} {filter}", color: LINUX_COLOR },
  charts: [],
  packages: ["tcpdump"],
  platform: "node",
};
