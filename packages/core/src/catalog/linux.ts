import type { AttributeDef, ResourceTypeInfo } from "../model/catalog-schema.js";
import { CRITICAL_ATTRIBUTE } from "./common.js";

/** Metadata of the Linux resource types. Browser-safe: the managers live in `@nepi/core/node`. */
const ON_NODE = {
  rtype: "linux::Node",
  min: 1,
  max: 1,
  deployAfter: "READY",
  help: "The host it runs on.",
} as const;

const OUTPUT_TRACES = [
  { name: "stdout", help: "Standard output of the command." },
  { name: "stderr", help: "Standard error of the command." },
];

/** Attributes shared by every command-running Linux resource. */
const PROCESS_ATTRIBUTES: AttributeDef[] = [
  { name: "depends", type: "string", help: "Debian packages to install when missing (space-separated).", flags: { design: true } },
  { name: "sudo", type: "boolean", help: "Run the command (and package installs) with sudo.", default: false, flags: { design: true } },
  { name: "env", type: "string", help: "Environment variables, as NAME=value pairs separated by spaces.", flags: { design: true } },
  CRITICAL_ATTRIBUTE,
];

export const LINUX_NODE: ResourceTypeInfo = {
  rtype: "linux::Node",
  backend: "linux",
  help: "A Linux host reached over SSH, or the local machine when hostname is localhost with no SSH settings.",
  attributes: [
    { name: "hostname", type: "string", help: "Host name or address.", default: "localhost", required: true, flags: { design: true, filter: true } },
    { name: "port", type: "integer", help: "SSH port.", default: 22, min: 1, max: 65535, flags: { design: true } },
    { name: "username", type: "string", help: "SSH user name (when set, localhost is reached over SSH too).", flags: { design: true } },
    { name: "identity", type: "string", help: "Path of the SSH private key.", flags: { design: true } },
    { name: "password", type: "string", help: "SSH password.", flags: { design: true, credential: true } },
    { name: "gateway", type: "string", help: "Jump host to reach this host through: host or host:port (same key; user gatewayUser).", flags: { design: true } },
    { name: "gatewayUser", type: "string", help: "User name on the jump host.", flags: { design: true } },
    { name: "knownHosts", type: "string", help: "known_hosts file checked for host keys (default ~/.ssh/known_hosts).", flags: { design: true } },
    {
      name: "strictHostKeyChecking",
      type: "enum",
      help: "yes: refuse unknown or changed keys; accept-new: record unknown keys, refuse changed ones; no: accept any key.",
      default: "accept-new",
      allowed: ["yes", "accept-new", "no"],
      flags: { design: true },
    },
    { name: "cleanProcesses", type: "boolean", help: "On release, end every process this run started on the host.", default: true, flags: { design: true } },
    { name: "cleanExperiment", type: "boolean", help: "On release, remove this run's directory on the host.", default: false, flags: { design: true } },
    CRITICAL_ATTRIBUTE,
  ],
  traces: [],
  connections: [],
  finishes: false,
  platform: "node",
};

export const LINUX_APPLICATION: ResourceTypeInfo = {
  rtype: "linux::Application",
  backend: "linux",
  help: "A command run detached on a Linux host, with optional sources, files, packages, build and install steps.",
  attributes: [
    { name: "command", type: "string", help: "Shell command to run; may use ${SRC} ${BIN} ${LIB} ${SHARE} ${APP_HOME} ${RUN_HOME} ${NODE_HOME} ${EXP_HOME}.", required: true, flags: { design: true } },
    { name: "sources", type: "string", help: "Local paths uploaded to ${SRC} (separated by ;).", flags: { design: true } },
    { name: "files", type: "string", help: "Local paths uploaded to ${APP_HOME} (separated by ;).", flags: { design: true } },
    { name: "build", type: "string", help: "Shell command run once in ${SRC} before install.", flags: { design: true } },
    { name: "install", type: "string", help: "Shell command run once after build.", flags: { design: true } },
    { name: "stdin", type: "string", help: "Text given to the command on its standard input.", flags: { design: true } },
    ...PROCESS_ATTRIBUTES,
  ],
  traces: OUTPUT_TRACES,
  anyFileTrace: true,
  connections: [ON_NODE],
  finishes: true,
  platform: "node",
};

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
  connections: [ON_NODE],
  finishes: true,
  platform: "node",
};

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
  connections: [ON_NODE],
  finishes: true,
  platform: "node",
};

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
  connections: [ON_NODE],
  finishes: false,
  platform: "node",
};

export const LINUX_IPERF3: ResourceTypeInfo = {
  rtype: "linux::Iperf3",
  backend: "linux",
  help: "iperf3 server or client; the client's JSON output gives the throughput series.",
  attributes: [
    { name: "role", type: "enum", help: "server or client.", default: "client", allowed: ["server", "client"], flags: { design: true } },
    { name: "server", type: "string", help: "Client: the server's host (or connect the client to a server iperf3 resource).", flags: { design: true } },
    { name: "port", type: "integer", help: "TCP/UDP port.", default: 5201, min: 1, max: 65535, flags: { design: true } },
    { name: "duration", type: "time", help: "Client: how long to send.", default: "5s", flags: { design: true } },
    { name: "bandwidth", type: "string", help: "Client: target bitrate (e.g. 10M); empty for unlimited TCP.", flags: { design: true } },
    { name: "udp", type: "boolean", help: "Client: use UDP.", default: false, flags: { design: true } },
    ...PROCESS_ATTRIBUTES,
  ],
  traces: [{ name: "stdout", help: "iperf3 JSON output." }, { name: "stderr", help: "Standard error." }],
  connections: [ON_NODE, { rtype: "linux::Iperf3", min: 0, max: 1, help: "Client ↔ server pairing." }],
  finishes: true,
  platform: "node",
};

export const LINUX_TYPES = [LINUX_NODE, LINUX_APPLICATION, LINUX_PING, LINUX_TRACEROUTE, LINUX_TCPDUMP, LINUX_IPERF3];
