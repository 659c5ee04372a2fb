import type { ResourceTypeInfo } from "../../model/catalog-schema.js";
import { COMMON_ATTRIBUTES } from "../common.js";
import { HOST_ROLE, MACHINE_ROLE } from "../roles.js";
import { LINUX_COLOR } from "./linux-shared.js";

export const LINUX_NODE: ResourceTypeInfo = {
  rtype: "linux::Node",
  backend: "linux",
  help: "A Linux host reached over SSH, or the local machine when hostname is localhost with no SSH settings.",
  attributes: [
    {
      name: "hostname",
      type: "string",
      help: "Host name or address.",
      default: "localhost",
      required: true,
      flags: { design: true, filter: true },
    },
    { name: "port", type: "integer", help: "SSH port.", default: 22, min: 1, max: 65535, flags: { design: true } },
    {
      name: "username",
      type: "string",
      help: "SSH user name (when set, localhost is reached over SSH too).",
      flags: { design: true },
    },
    { name: "identity", type: "string", help: "Path of the SSH private key.", flags: { design: true } },
    { name: "password", type: "string", help: "SSH password.", flags: { design: true, credential: true } },
    {
      name: "gateway",
      type: "string",
      help: "Jump host to reach this host through: host or host:port (same key; user gatewayUser).",
      flags: { design: true },
    },
    { name: "gatewayUser", type: "string", help: "User name on the jump host.", flags: { design: true } },
    {
      name: "knownHosts",
      type: "string",
      help: "known_hosts file checked for host keys (default ~/.ssh/known_hosts).",
      flags: { design: true },
    },
    {
      name: "strictHostKeyChecking",
      type: "enum",
      help: "yes: refuse unknown or changed keys; accept-new: record unknown keys, refuse changed ones; no: accept any key.",
      default: "accept-new",
      allowed: ["yes", "accept-new", "no"],
      flags: { design: true },
    },
    {
      name: "cleanProcesses",
      type: "boolean",
      help: "On release, end every process this run started on the host.",
      default: true,
      flags: { design: true },
    },
    {
      name: "cleanExperiment",
      type: "boolean",
      help: "On release, remove this run's directory on the host.",
      default: false,
      flags: { design: true },
    },
    ...COMMON_ATTRIBUTES,
  ],
  traces: [],
  roles: [HOST_ROLE, MACHINE_ROLE],
  connections: [],
  finishes: "never",
  look: { abbreviation: "ND", group: "linux", summary: "{hostname}", color: LINUX_COLOR },
  charts: [],
  platform: "node",
};
