import type { ConnectionRule } from "../../model/catalog-schema.js";
import { MACHINE_ROLE } from "../roles.js";

/**
 * The machine a namespace host or a switch is built on: none means this machine (`localhost`,
 * no SSH). It is deployed once the machine is READY; root or sudo is needed there.
 */
export const ON_MACHINE: ConnectionRule = {
  role: MACHINE_ROLE,
  min: 0,
  max: 1,
  deployAfter: "READY",
  help: "The machine it is built on (none: this machine).",
};

/** The minimap colour of the network types. */
export const NETNS_COLOR = "#86efac";
