import type { ResourceTypeInfo } from "../../model/catalog-schema.js";
import { LINUX_COLOR, PROCESS_ATTRIBUTES, RUNS_ON_HOST } from "./linux-shared.js";

/** A client measures against a server: the two pair through this role. */
export const IPERF3_PEER = "iperf3 peer";

export const LINUX_IPERF3: ResourceTypeInfo = {
  rtype: "linux::Iperf3",
  backend: "linux",
  help: "iperf3 server or client; the client's JSON output gives the throughput series.",
  attributes: [
    {
      name: "role",
      type: "enum",
      help: "server or client.",
      default: "client",
      allowed: ["server", "client"],
      flags: { design: true },
    },
    {
      name: "server",
      type: "string",
      help: "Client: the server's host (or connect the client to a server iperf3 resource).",
      flags: { design: true },
    },
    { name: "port", type: "integer", help: "TCP/UDP port.", default: 5201, min: 1, max: 65535, flags: { design: true } },
    { name: "duration", type: "time", help: "Client: how long to send.", default: "5s", flags: { design: true } },
    {
      name: "bandwidth",
      type: "string",
      help: "Client: target bitrate (e.g. 10M); empty for unlimited TCP.",
      flags: { design: true },
    },
    { name: "udp", type: "boolean", help: "Client: use UDP.", default: false, flags: { design: true } },
    ...PROCESS_ATTRIBUTES,
  ],
  traces: [
    { name: "stdout", help: "iperf3 JSON output." },
    { name: "stderr", help: "Standard error." },
  ],
  roles: [IPERF3_PEER],
  connections: [RUNS_ON_HOST, { role: IPERF3_PEER, min: 0, max: 1, help: "Client ↔ server pairing." }],
  finishes: "always",
  look: { abbreviation: "I3", group: "linux", summary: "iperf3 {role}", color: LINUX_COLOR },
  charts: [{ trace: "stdout", parser: "iperf3" }],
  packages: ["iperf3"],
  platform: "node",
};
