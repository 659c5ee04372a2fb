import type { ResourceTypeInfo } from "../../model/catalog-schema.js";
import { COMMON_ATTRIBUTES } from "../common.js";

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
    {
      name: "failAttempts",
      type: "integer",
      help: "With failIn: only the first N attempts fail (a retry then succeeds); empty: every attempt fails.",
      min: 1,
      flags: { design: true },
    },
    ...COMMON_ATTRIBUTES,
  ],
  traces: [{ name: "stdout", help: "One line per state the task reaches." }],
  roles: ["task"],
  connections: [{ role: "task", min: 0, max: null, help: "Tasks may be linked freely." }],
  finishes: { whenSet: "duration" },
  look: { abbreviation: "TK", group: "sim", summary: "{duration}", color: "#c4b5fd" },
  charts: [],
  platform: "any",
};
