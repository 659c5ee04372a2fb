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
 * How many resources with a given role a type connects to, and whether its deploy waits for
 * them: an application runs on exactly one `host` and is deployed only once it is READY
 * (`deployAfter: "READY"`). Rules name roles, never resource types.
 */
export const ConnectionRuleSchema = z.object({
  role: z.string(),
  min: z.number().int().min(0),
  /** null: no upper bound. */
  max: z.number().int().min(0).nullable(),
  deployAfter: ResourceStateSchema.optional(),
  help: z.string().optional(),
});
export type ConnectionRule = z.infer<typeof ConnectionRuleSchema>;

/**
 * Whether a resource reaches FINISHED by itself (so that a run is over once it has): always (an
 * application), never (infrastructure such as a node), or only when an attribute has a value
 * (a `sim::Task` with a `duration`).
 */
export const FinishesSchema = z.union([z.enum(["always", "never"]), z.object({ whenSet: z.string() })]);
export type Finishes = z.infer<typeof FinishesSchema>;

/** The parsers whose output the web app draws as a chart. */
export const ChartParserSchema = z.enum(["ping", "iperf3"]);
export type ChartParser = z.infer<typeof ChartParserSchema>;

/** A trace that feeds a chart, and the parser that reads it. */
export const ChartSchema = z.object({ trace: z.string(), parser: ChartParserSchema });
export type Chart = z.infer<typeof ChartSchema>;

/** How a type shows in the designer. */
export const LookSchema = z.object({
  /** The letters on its palette icon ("PG"). */
  abbreviation: z.string().min(1).max(3),
  /** The palette group it is listed under. */
  group: z.string(),
  /** The line under a node's label: `{name}` stands for the attribute's value ("ping {target}"). */
  summary: z.string().optional(),
  /** Its colour on the minimap (a CSS colour). */
  color: z.string(),
  /**
   * `edge`: drawn as the edge between the two resources it connects (a network link), and made by
   * drawing an edge between two resources its connection rule accepts; `node` (the default): a box.
   */
  drawnAs: z.enum(["node", "edge"]).optional(),
});
export type Look = z.infer<typeof LookSchema>;

export const ResourceTypeInfoSchema = z.object({
  rtype: z.string(),
  /** The part before `::` (`linux`, `sim`): which entry point can run it. */
  backend: z.string(),
  help: z.string(),
  attributes: z.array(AttributeDefSchema),
  traces: z.array(TraceDefSchema),
  /** Any file name is also a valid trace (a linux application's own output files). */
  anyFileTrace: z.boolean().optional(),
  /** What a resource of this type is to others (`host`: resources can run on it). */
  roles: z.array(z.string()),
  connections: z.array(ConnectionRuleSchema),
  finishes: FinishesSchema,
  look: LookSchema,
  charts: z.array(ChartSchema),
  /**
   * Debian packages its command needs on the host it runs on (besides the user's `depends`): the
   * deploy installs the missing ones, the host check reports them before.
   */
  packages: z.array(z.string()).optional(),
  /** `node` types need the Node-only entry (`@nepi/core/node`) to run. */
  platform: z.enum(["any", "node"]),
});
export type ResourceTypeInfo = z.infer<typeof ResourceTypeInfoSchema>;
