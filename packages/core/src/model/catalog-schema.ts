import { z } from "zod";
import { ResourceStateSchema } from "./state-schemas.js";

/** Attribute value types, as NEPI's Types (string, integer, double, boolean, enum, time). */
export const AttributeTypeSchema = z.enum(["string", "integer", "double", "boolean", "enum", "time"]);
export type AttributeType = z.infer<typeof AttributeTypeSchema>;

export const AttributeValueSchema = z.union([z.string(), z.number(), z.boolean()]);
export type AttributeValue = z.infer<typeof AttributeValueSchema>;

/** NEPI's attribute flags. */
export const AttributeFlagsSchema = z.object({
  /** Settable only before deploy. */
  design: z.boolean().optional(),
  /** Readable during the run, never settable by the user. */
  execReadOnly: z.boolean().optional(),
  /** Not settable once the resource is deployed. */
  execImmutable: z.boolean().optional(),
  /** A secret: never logged, never sent to the browser, never exported. */
  credential: z.boolean().optional(),
  /** Used to select a resource in discovery. */
  filter: z.boolean().optional(),
  global: z.boolean().optional(),
});
export type AttributeFlags = z.infer<typeof AttributeFlagsSchema>;

export const AttributeDefSchema = z.object({
  name: z.string(),
  type: AttributeTypeSchema,
  help: z.string(),
  default: AttributeValueSchema.optional(),
  /** Allowed values of an `enum` attribute. */
  allowed: z.array(z.string()).optional(),
  /** Bounds of a number attribute. */
  min: z.number().optional(),
  max: z.number().optional(),
  /** A value must be given before deploy (the designer lists it as a problem). */
  required: z.boolean().optional(),
  flags: AttributeFlagsSchema,
});
export type AttributeDef = z.infer<typeof AttributeDefSchema>;

export const TraceDefSchema = z.object({ name: z.string(), help: z.string() });
export type TraceDef = z.infer<typeof TraceDefSchema>;

/**
 * Which other resource types a type connects to, how many, and whether its deploy waits for
 * them: an application is deployed only once its node is READY (`deployAfter: "READY"`).
 */
export const ConnectionRuleSchema = z.object({
  rtype: z.string(),
  min: z.number().int().min(0),
  /** null: no upper bound. */
  max: z.number().int().min(0).nullable(),
  deployAfter: ResourceStateSchema.optional(),
  help: z.string().optional(),
});
export type ConnectionRule = z.infer<typeof ConnectionRuleSchema>;

export const ResourceTypeInfoSchema = z.object({
  rtype: z.string(),
  /** The part before `::` (`linux`, `sim`): the palette groups by it. */
  backend: z.string(),
  help: z.string(),
  attributes: z.array(AttributeDefSchema),
  traces: z.array(TraceDefSchema),
  /** Any file name is also a valid trace (a linux application's own output files). */
  anyFileTrace: z.boolean().optional(),
  connections: z.array(ConnectionRuleSchema),
  /** Reaches FINISHED by itself (an application); false for infrastructure such as a node. */
  finishes: z.boolean(),
  /** `node` types need the Node-only entry (`@nepi/core/node`) to run. */
  platform: z.enum(["any", "node"]),
});
export type ResourceTypeInfo = z.infer<typeof ResourceTypeInfoSchema>;
