import type { ConnectionRule, ResourceTypeInfo } from "../model/catalog-schema.js";
import { appliesTo, ruleToward } from "./rules.js";

/**
 * What the connection checks need of a design, whoever holds it: the controller's resources, a
 * document being validated, or the designer's canvas.
 */
export interface LinkView {
  /** The resource's type; undefined when the guid or its type is unknown. */
  info(guid: number): ResourceTypeInfo | undefined;
  /** The resources it is connected to so far. */
  connections(guid: number): Iterable<number>;
  /** How a message names the resource ("guid 3 (app)"). */
  name(guid: number): string;
}

export type LinkProblemCode = "SELF" | "DUPLICATE" | "UNKNOWN_TYPE" | "NO_RULE" | "TOO_MANY";

export interface LinkProblem {
  code: LinkProblemCode;
  message: string;
}

/** How many a rule allows, in words: "exactly 1", "at most 2", "any number". */
function amount(rule: ConnectionRule): string {
  if (rule.max === null) return rule.min === 0 ? "any number" : `at least ${rule.min}`;
  if (rule.min === rule.max) return `exactly ${rule.min}`;
  return rule.min === 0 ? `at most ${rule.max}` : `${rule.min}–${rule.max}`;
}

/** A rule in words: "host (exactly 1)". */
export function describeRule(rule: ConnectionRule): string {
  return `${rule.role} (${amount(rule)})`;
}

/** What a type connects to, in words: "linux::Application connects to host (exactly 1)". */
export function describeConnections(info: ResourceTypeInfo): string {
  return `${info.rtype} connects to ${info.connections.map(describeRule).join(", ") || "nothing"}`;
}

/** How many of `guid`'s links the rule is about. */
export function countLinks(view: LinkView, guid: number, rule: ConnectionRule): number {
  let n = 0;
  for (const g of view.connections(guid)) {
    const t = view.info(g);
    if (t && appliesTo(rule, t)) n++;
  }
  return n;
}

/**
 * Why `a` and `b` may not be linked now, or undefined when they may: a link needs a rule of
 * either type about the other's roles, and neither side may go over its rule's maximum.
 */
export function linkProblem(view: LinkView, a: number, b: number): LinkProblem | undefined {
  if (a === b) return { code: "SELF", message: `${view.name(a)} cannot connect to itself` };
  for (const g of view.connections(a)) {
    if (g === b) return { code: "DUPLICATE", message: `${view.name(a)} and ${view.name(b)} are already connected` };
  }
  const ta = view.info(a);
  const tb = view.info(b);
  if (!ta || !tb) return { code: "UNKNOWN_TYPE", message: `${view.name(ta ? b : a)} has an unknown resource type` };
  const ab = ruleToward(ta, tb);
  const ba = ruleToward(tb, ta);
  if (!ab && !ba) {
    const hint = [...new Set([describeConnections(ta), describeConnections(tb)])].join("; ");
    return { code: "NO_RULE", message: `${view.name(a)} cannot connect to ${view.name(b)}: ${hint}` };
  }
  for (const [self, rule] of [
    [a, ab],
    [b, ba],
  ] as const) {
    if (!rule || rule.max === null) continue;
    const count = countLinks(view, self, rule);
    if (count >= rule.max) {
      return {
        code: "TOO_MANY",
        message: `${view.name(self)} connects to ${amount(rule)} ${rule.role} and already has ${count}`,
      };
    }
  }
  return undefined;
}

/** What `guid` lacks to meet its rules' minimums ("guid 2 (app) needs a host connection (has 0)"). */
export function missingLinks(view: LinkView, guid: number): string[] {
  const info = view.info(guid);
  if (!info) return [];
  const out: string[] = [];
  for (const rule of info.connections) {
    const count = countLinks(view, guid, rule);
    if (count < rule.min) {
      out.push(
        `${view.name(guid)} needs ${rule.min === 1 ? "a" : rule.min} ${rule.role} connection${rule.min === 1 ? "" : "s"} (has ${count})`,
      );
    }
  }
  return out;
}
