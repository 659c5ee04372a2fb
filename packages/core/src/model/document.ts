import { z } from "zod";
import { ResourceActionSchema, ResourceStateSchema } from "./state-schemas.js";
import { ResourceState } from "./states.js";
import { AttributeValueSchema } from "./catalog-schema.js";
import { isWellFormedTime, timeStringProblem } from "./time.js";
import { patternProblem } from "./pattern.js";
import { CampaignSchema } from "./campaign.js";

export const DOCUMENT_FORMAT = "nepi-experiment@1";

const Guid = z
  .number({ error: "expected a guid (positive integer)" })
  .int("expected a guid (positive integer)")
  .positive("expected a guid (positive integer)");
const GuidGroup = z.array(Guid).min(1, "expected at least one guid");
const TimeString = z.string().superRefine((value, ctx) => {
  const problem = timeStringProblem(value);
  if (problem)
    ctx.addIssue({
      code: "custom",
      message: isWellFormedTime(value) ? problem : "expected a time string such as 500ms, 2s, 1.5m, 1h, 10us",
    });
});

export const PositionSchema = z.object({ x: z.number(), y: z.number() });

export const ResourceDocSchema = z.object({
  guid: Guid,
  type: z.string().regex(/^[A-Za-z0-9_]+::[A-Za-z0-9_]+$/, "expected a resource type written backend::Name"),
  label: z.string().max(200).optional(),
  attributes: z.record(z.string(), AttributeValueSchema).default({}),
  traces: z.array(z.string()).default([]),
  position: PositionSchema.optional(),
});
export type ResourceDoc = z.infer<typeof ResourceDocSchema>;

export const ConnectionDocSchema = z.object({ source: Guid, target: Guid });
export type ConnectionDoc = z.infer<typeof ConnectionDocSchema>;

const Pattern = z.string().superRefine((value, ctx) => {
  const problem = patternProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/**
 * A condition waits for a state, or for a line of a trace of every `after` resource to match
 * `matches` (a regular expression) — instead of the state (which then defaults to STARTED: a
 * trace is written only once its resource started) or as well as it. Past `timeout`, counted
 * from when the traced resource started, the waiting resources fail.
 */
export const ConditionDocSchema = z
  .object({
    group: GuidGroup,
    action: ResourceActionSchema,
    after: GuidGroup,
    state: ResourceStateSchema.optional(),
    trace: z.string().min(1, "expected a trace name").optional(),
    matches: Pattern.optional(),
    timeout: TimeString.optional(),
    delay: TimeString.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.trace === undefined && c.matches !== undefined)
      ctx.addIssue({ code: "custom", path: ["trace"], message: 'expected the trace the pattern is matched on (e.g. "stdout")' });
    if (c.trace !== undefined && c.matches === undefined)
      ctx.addIssue({ code: "custom", path: ["matches"], message: `expected a pattern to match on trace "${c.trace}"` });
    // A trace is matched while its resource runs; a failure is a different kind of wait.
    if (c.trace !== undefined && c.state === "FAILED")
      ctx.addIssue({
        code: "custom",
        path: ["state"],
        message: "a condition on a trace waits for a state reached by running (STARTED to FINISHED), not FAILED",
      });
    if (c.trace === undefined && c.matches === undefined) {
      if (c.state === undefined)
        ctx.addIssue({ code: "custom", path: ["state"], message: "expected a state to wait for (or a trace and a pattern)" });
      if (c.timeout !== undefined)
        ctx.addIssue({ code: "custom", path: ["timeout"], message: "only a condition on a trace has a timeout" });
    }
  })
  .transform((c) => ({ ...c, state: c.state ?? ResourceState.STARTED }));
export type ConditionDoc = z.infer<typeof ConditionDocSchema>;

/** `setWithConditions`: set an attribute once a group reached a state (plus a delay). */
export const AttributeConditionDocSchema = z.object({
  group: GuidGroup,
  attribute: z.string().min(1),
  value: AttributeValueSchema,
  after: GuidGroup,
  state: ResourceStateSchema,
  delay: TimeString.optional(),
});
export type AttributeConditionDoc = z.infer<typeof AttributeConditionDocSchema>;

/** The one experiment format shared by the canvas, the store, the CLI and the engine. */
export const ExperimentDocumentSchema = z.object({
  format: z.literal(DOCUMENT_FORMAT, { error: `expected "${DOCUMENT_FORMAT}"` }),
  name: z.string().min(1, "expected a name").max(200),
  description: z.string().max(10_000).optional(),
  resources: z.array(ResourceDocSchema).max(200_000),
  connections: z.array(ConnectionDocSchema).default([]),
  conditions: z.array(ConditionDocSchema).default([]),
  attributeConditions: z.array(AttributeConditionDocSchema).optional(),
  campaign: CampaignSchema.optional(),
});
export type ExperimentDocument = z.infer<typeof ExperimentDocumentSchema>;
/** What a caller may hand in: defaults (`attributes`, `traces`, `connections`…) may be omitted. */
export type ExperimentDocumentInput = z.input<typeof ExperimentDocumentSchema>;
