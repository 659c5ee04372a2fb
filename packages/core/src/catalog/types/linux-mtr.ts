import type { ResourceTypeInfo } from "../../model/catalog-schema.js";
import { LINUX_COLOR, PROCESS_ATTRIBUTES, RUNS_ON_HOST } from "./linux-shared.js";

export const LINUX_MTR: ResourceTypeInfo = {
  rtype: "linux::Mtr",
  backend: "linux",
  help: "mtr to a target from a host: per-hop loss and round-trip times over several cycles, as JSON on stdout.",
  attributes: [
    { name: "target", type: "string", help: "Host name or address.", required: true, flags: { design: true } },
    {
      name: "cycles",
      type: "integer",
      help: "Probes sent to each hop.",
      default: 10,
      min: 1,
      max: 1000,
      flags: { design: true },
    },
    {
      name: "interval",
      type: "double",
      help: "Seconds between cycles (below 1 needs root).",
      default: 1,
      min: 0.1,
      flags: { design: true },
    },
    { name: "maxHops", type: "integer", help: "Maximum number of hops.", default: 30, min: 1, max: 255, flags: { design: true } },
    {
      name: "gracetime",
      type: "integer",
      help: "Seconds to wait for the last replies.",
      default: 5,
      min: 0,
      max: 60,
      flags: { design: true },
    },
    { name: "numeric", type: "boolean", help: "Do not resolve addresses to names.", default: true, flags: { design: true } },
    ...PROCESS_ATTRIBUTES,
  ],
  traces: [
    { name: "stdout", help: "mtr's JSON report: one entry per hop." },
    { name: "stderr", help: "Standard error." },
  ],
  roles: [],
  connections: [RUNS_ON_HOST],
  finishes: "always",
  look: { abbreviation: "MT", group: "linux", summary: "mtr {target}", color: LINUX_COLOR },
  charts: [],
  packages: ["mtr-tiny"],
  platform: "node",
};
