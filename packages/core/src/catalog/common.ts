import type { AttributeDef } from "../model/catalog-schema.js";

/** Every resource type has `critical` (NEPI design attribute). */
export const CRITICAL_ATTRIBUTE: AttributeDef = {
  name: "critical",
  type: "boolean",
  help: "When true, a failure of this resource fails the whole experiment; when false, the rest goes on.",
  default: true,
  flags: { design: true },
};
