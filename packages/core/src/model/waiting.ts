import { z } from "zod";
import { ResourceStateSchema } from "./state-schemas.js";

/**
 * What a resource that has not reached its next state waits for: `ec.waitingOn(guid)` gives a
 * list of these (empty when it waits on nothing), `runs.get` carries them per resource, the CLI
 * and the designer show `text`. Browser-safe: the web reads the same schema.
 */

/** An awaited resource not there yet, and the state it is in. */
export const AwaitedSchema = z.object({ guid: z.number().int(), state: ResourceStateSchema });
export type Awaited = z.infer<typeof AwaitedSchema>;

const GateWaitFields = {
  /** What opens once the wait is over. */
  action: z.enum(["DEPLOY", "START", "STOP", "SET"]),
  after: z.array(z.number().int()),
  state: ResourceStateSchema,
  delayMs: z.number().int().nonnegative(),
  /** The awaited resources not there yet. */
  remaining: z.array(AwaitedSchema),
  /** Everything is there and the delay runs: when it is over (ms since epoch). */
  firesAt: z.number().optional(),
  text: z.string(),
};

export const WaitReasonSchema = z.discriminatedUnion("kind", [
  /** A condition the user registered. */
  z.object({ kind: z.literal("condition"), ...GateWaitFields, condition: z.number().int().optional() }),
  /** The implicit deploy order: an application deploys once its host is READY. */
  z.object({ kind: z.literal("deployOrder"), ...GateWaitFields }),
  /** The start-together barrier of a deploy group. */
  z.object({ kind: z.literal("startTogether"), ...GateWaitFields }),
  /** A manager step waits for a slot of the operation pool (maxConcurrency). */
  z.object({
    kind: z.literal("pool"),
    operation: z.enum(["deploy", "start", "stop"]),
    busy: z.number().int(),
    queued: z.number().int(),
    text: z.string(),
  }),
  /** It waits on resources that are not deployed: the wait can never end. */
  z.object({ kind: z.literal("outside"), guids: z.array(z.number().int()), text: z.string() }),
  /** Its manager is doing a step (discover/provision, start, stop). */
  z.object({ kind: z.literal("operation"), operation: z.enum(["deploy", "start", "stop"]), text: z.string() }),
  /** STARTED: it runs until it ends by itself, or until it is stopped or released. */
  z.object({ kind: z.literal("running"), endsByItself: z.boolean(), text: z.string() }),
]);
export type WaitReason = z.infer<typeof WaitReasonSchema>;

/**
 * A condition's gate started counting its delay (`armed`: everything it waits for is there), or
 * opened (`opened`). What the designer's countdown on a condition edge runs on.
 */
export const GateEventSchema = z.object({
  /** The gate's id (unique in one controller). */
  gate: z.number().int(),
  status: z.enum(["armed", "opened"]),
  /** Index of the condition in the document's `conditions` (attribute conditions: `attributeCondition`). */
  condition: z.number().int().optional(),
  attributeCondition: z.number().int().optional(),
  action: z.enum(["DEPLOY", "START", "STOP", "SET"]),
  subjects: z.array(z.number().int()),
  after: z.array(z.number().int()),
  state: ResourceStateSchema,
  delayMs: z.number().int().nonnegative(),
  /** When it happened (ms since epoch). */
  at: z.number(),
  /** Armed: when the delay is over (ms since epoch). */
  firesAt: z.number().optional(),
});
export type GateEvent = z.infer<typeof GateEventSchema>;
