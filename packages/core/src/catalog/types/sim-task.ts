import type { ResourceTypeInfo } from "../../model/catalog-schema.js";
import { CRITICAL_ATTRIBUTE } from "../common.js";

export const SIM_TASK: ResourceTypeInfo = {
  rtype: "sim::Task",
  backend: "sim",
  help: "A simulated task that does no I/O: for dry runs of a design and for tests.",
  attributes: [
    { name: "deployTime", type: "time", help: "How long discover+provision take.", default: "0s", flags: { design: true } },
    {
      name: "duration",
      type: "time",
      help: "How long it runs before FINISHED; empty: it runs until stopped (then STOPPED).",
      flags: { execImmutable: true },
    },
    {
      name: "failIn",
      type: "enum",
      help: "Make the task fail in a phase, to rehearse failures.",
      default: "none",
      allowed: ["none", "deploy", "start", "run"],
      flags: { design: true },
    },
    CRITICAL_ATTRIBUTE,
  ],
  traces: [{ name: "stdout", help: "One line per state the task reaches." }],
  roles: ["task"],
  connections: [{ role: "task", min: 0, max: null, help: "Tasks may be linked freely." }],
  finishes: { whenSet: "duration" },
  look: { abbreviation: "TK", group: "sim", summary: "{duration}", color: "#c4b5fd" },
  charts: [],
  platform: "any",
};
