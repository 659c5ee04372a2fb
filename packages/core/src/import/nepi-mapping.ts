import { ResourceAction, ResourceState } from "../model/states.js";

/**
 * How NEPI's names translate to ours: one entry per NEPI resource type (both its `linux::X`
 * rtype and the older `LinuxX` class name), with its attribute names. An attribute not listed
 * here has no equivalent and is reported by the importer.
 */
export interface NepiTypeMapping {
  rtype: string;
  /** NEPI attribute name → ours. */
  attributes: Record<string, string>;
}

/** Attributes every NEPI resource manager has. */
const COMMON: Record<string, string> = { critical: "critical" };

/** Attributes of NEPI's LinuxApplication, inherited by the tools built on it. */
const PROCESS: Record<string, string> = { ...COMMON, depends: "depends", sudo: "sudo", env: "env" };

const NODE: NepiTypeMapping = {
  rtype: "linux::Node",
  attributes: {
    ...COMMON,
    hostname: "hostname",
    username: "username",
    port: "port",
    identity: "identity",
    gateway: "gateway",
    gatewayUser: "gatewayUser",
    cleanProcesses: "cleanProcesses",
    cleanExperiment: "cleanExperiment",
  },
};
const APPLICATION: NepiTypeMapping = {
  rtype: "linux::Application",
  attributes: {
    ...PROCESS,
    command: "command",
    sources: "sources",
    files: "files",
    build: "build",
    install: "install",
    stdin: "stdin",
  },
};
const PING: NepiTypeMapping = {
  rtype: "linux::Ping",
  attributes: { ...PROCESS, target: "target", count: "count", interval: "interval", packetSize: "packetSize", ttl: "ttl" },
};
const TRACEROUTE: NepiTypeMapping = { rtype: "linux::Traceroute", attributes: { ...PROCESS, target: "target" } };
const TCPDUMP: NepiTypeMapping = {
  rtype: "linux::Tcpdump",
  // NEPI names tcpdump's attributes after its flags: -i interface, -s snaplen.
  attributes: { ...PROCESS, i: "interface", s: "snaplen", interface: "interface", filter: "filter" },
};
const MTR: NepiTypeMapping = {
  rtype: "linux::Mtr",
  attributes: { ...PROCESS, target: "target", interval: "interval", report_cycles: "cycles", no_dns: "numeric" },
};
const IPERF3: NepiTypeMapping = {
  rtype: "linux::Iperf3",
  attributes: { ...PROCESS, server: "server", port: "port", duration: "duration", bandwidth: "bandwidth", udp: "udp" },
};

export const NEPI_TYPES: Record<string, NepiTypeMapping> = {
  "linux::Node": NODE,
  LinuxNode: NODE,
  "linux::Application": APPLICATION,
  LinuxApplication: APPLICATION,
  "linux::Ping": PING,
  LinuxPing: PING,
  "linux::Traceroute": TRACEROUTE,
  LinuxTraceroute: TRACEROUTE,
  "linux::Tcpdump": TCPDUMP,
  LinuxTcpdump: TCPDUMP,
  "linux::Mtr": MTR,
  LinuxMtr: MTR,
  "linux::Iperf3": IPERF3,
};

/** NEPI writes actions and states as numbers (its ResourceAction and ResourceState, NEPI 3.2). */
export const NEPI_ACTIONS: Record<string, ResourceAction> = { "0": "DEPLOY", "1": "START", "2": "STOP" };
export const NEPI_STATES: Record<string, ResourceState | undefined> = {
  "0": "NEW",
  "1": "DISCOVERED",
  // RESERVED (2) has no equivalent: reported as an unsupported condition.
  "3": "PROVISIONED",
  "4": "READY",
  "5": "STARTED",
  "6": "STOPPED",
  "7": "FAILED",
  "8": "RELEASED",
};

/** An action or state given by number or by name ("START", "STARTED"). */
export function nepiAction(text: string): ResourceAction | undefined {
  const upper = text.trim().toUpperCase();
  return own(NEPI_ACTIONS, upper) ?? own(ResourceAction, upper);
}
export function nepiState(text: string): ResourceState | undefined {
  const upper = text.trim().toUpperCase();
  return own(NEPI_STATES, upper) ?? own(ResourceState, upper);
}

/** A table's own entry only: a name read from a file must never reach `constructor` & co. */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
