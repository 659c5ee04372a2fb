import { NepiError } from "../model/errors.js";

/**
 * Kernel names of a run's network. Every namespace of a run starts with `nepi-<tag>-`, so a
 * clean-up finds all of them by the tag alone (after a crash too), and every device lives in one
 * of those namespaces, never in the machine's own: deleting the namespaces removes the veths,
 * VXLAN devices, bridges, qdiscs and nftables rules with them.
 */

/** A run tag: lower-case letters and digits, short enough for every kernel name built from it. */
const TAG = /^[a-z0-9]{1,12}$/;

export function checkTag(tag: string): void {
  if (!TAG.test(tag))
    throw new NepiError(
      "BAD_VALUE",
      `run tag "${tag}" must be 1 to 12 lower-case letters or digits (it names kernel objects)`,
      "tag",
    );
}

/** The prefix of every namespace of the run. */
export function namespacePrefix(tag: string): string {
  return `nepi-${tag}-`;
}

export function hostNamespace(tag: string, guid: number): string {
  return `${namespacePrefix(tag)}h${guid}`;
}

export function switchNamespace(tag: string, guid: number): string {
  return `${namespacePrefix(tag)}s${guid}`;
}

/** The bridge of a switch, inside the switch's own namespace. */
export const BRIDGE = "br0";

/** A host's k-th link end (its links in ascending guid order): eth0, eth1, … as on a real machine. */
export function hostDevice(k: number): string {
  return `eth${k}`;
}

/** A switch's port for a link: p<link guid> (a guid has at most 14 digits, so at most 15 characters). */
export function switchPort(linkGuid: number): string {
  return `p${linkGuid}`;
}

/** The nftables table (family netdev) holding the run's loss rules, in each namespace that has some. */
export function nftTable(tag: string): string {
  return `nepi_${tag}`;
}

/** Linux limits interface names to 15 characters (IFNAMSIZ − 1). */
export const MAX_DEVICE_NAME = 15;
