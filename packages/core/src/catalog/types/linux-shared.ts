import type { AttributeDef, ConnectionRule, TraceDef } from "../../model/catalog-schema.js";
import { COMMON_ATTRIBUTES } from "../common.js";
import { HOST_ROLE } from "../roles.js";

/** What every command-running Linux type shares: it runs on one host, deployed once it is READY. */
export const RUNS_ON_HOST: ConnectionRule = {
  role: HOST_ROLE,
  min: 1,
  max: 1,
  deployAfter: "READY",
  help: "The host it runs on.",
};

export const OUTPUT_TRACES: TraceDef[] = [
  { name: "stdout", help: "Standard output of the command." },
  { name: "stderr", help: "Standard error of the command." },
];

/** Attributes shared by every command-running Linux resource. */
export const PROCESS_ATTRIBUTES: AttributeDef[] = [
  {
    name: "depends",
    type: "string",
    help: "Debian packages to install when missing (space-separated).",
    flags: { design: true },
  },
  {
    name: "sudo",
    type: "boolean",
    help: "Run the command (and package installs) with sudo.",
    default: false,
    flags: { design: true },
  },
  {
    name: "env",
    type: "string",
    help: "Environment variables, as NAME=value pairs separated by spaces.",
    flags: { design: true },
  },
  ...COMMON_ATTRIBUTES,
];

/** The minimap colour of the Linux types. */
export const LINUX_COLOR = "#93c5fd";
