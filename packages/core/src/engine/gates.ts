import type { AttributeValue } from "../model/catalog-schema.js";
import type { ResourceState } from "../model/states.js";

/** What a gate lets happen once it opens. */
export type GateAction = "DEPLOY" | "START" | "STOP" | "SET";

/**
 * A wait of some resources (the subjects) on others reaching a state, plus a delay counted from
 * the moment the last of them got there. Registered conditions, the implicit deploy order (an
 * application after its node) and the start-together barrier of a deploy group are all gates.
 *
 * Gates are indexed by the resources they wait on, so a transition only visits the gates that
 * wait on that very resource — never a scan of the experiment.
 */
export interface Gate {
  readonly id: number;
  readonly action: GateAction;
  readonly after: readonly number[];
  readonly state: ResourceState;
  readonly delayMs: number;
  /** Where it came from: a condition the user registered, or the engine's own ordering. */
  readonly kind: "condition" | "deployOrder" | "startTogether";
  /** For SET gates (setWithConditions). */
  readonly set?: { name: string; value: AttributeValue };
  readonly subjects: number[];
  /** Subjects that count this gate among the ones they wait for. */
  counted: number[];
  armed: boolean;
  /** Awaited resources not there yet. */
  remaining: number;
  /** When the last awaited resource got there (ms since epoch). */
  lastAt: number;
  opened: boolean;
  /** Set when the gate can never open, with the reason. */
  broken?: string;
  timer?: ReturnType<typeof setTimeout>;
}

export function describeGate(g: Gate): string {
  const who = g.after.length === 1 ? `guid ${g.after[0]}` : `guids ${g.after.join(", ")}`;
  const delay = g.delayMs > 0 ? ` + ${g.delayMs}ms` : "";
  if (g.kind === "deployOrder") return `DEPLOY after ${who} ${g.state}`;
  if (g.kind === "startTogether") return `START together with ${who}`;
  if (g.action === "SET") return `SET ${g.set?.name} after ${who} ${g.state}${delay}`;
  return `${g.action} after ${who} ${g.state}${delay}`;
}
