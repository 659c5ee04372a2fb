import type { AttributeDef } from "../model/catalog-schema.js";

/** Every resource type has `critical` (NEPI design attribute). */
export const CRITICAL_ATTRIBUTE: AttributeDef = {
  name: "critical",
  type: "boolean",
  help: "When true, a failure of this resource fails the whole experiment; when false, the rest goes on.",
  default: true,
  flags: { design: true },
};

/** How many more times a failed deploy, start or run is tried before the resource is FAILED. */
export const RETRIES_ATTRIBUTE: AttributeDef = {
  name: "retries",
  type: "integer",
  help: "How many times a failed deploy, start or run (a command that exits non-zero) is tried again before the resource is FAILED.",
  default: 0,
  min: 0,
  max: 100,
  flags: { design: true },
};

/** The pause before each retry. */
export const RETRY_DELAY_ATTRIBUTE: AttributeDef = {
  name: "retryDelay",
  type: "time",
  help: "How long to wait after a failed attempt before the next one.",
  default: "0s",
  flags: { design: true },
};

/** What every resource type has: criticality and its retry policy. */
export const COMMON_ATTRIBUTES: readonly AttributeDef[] = [CRITICAL_ATTRIBUTE, RETRIES_ATTRIBUTE, RETRY_DELAY_ATTRIBUTE];
