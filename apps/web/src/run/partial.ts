import type { ResourceState } from "@nepi/core";
import { deployBlocker, type DeployGate } from "./actions";
import type { RunPhase } from "./store";

/** Why "Deploy selected" cannot be pressed now (its tooltip), or null when it can. */
export function deploySelectedBlocker(g: DeployGate, selected: number): string | null {
  return deployBlocker(g) ?? (selected === 0 ? "Select the resources to deploy first (click, Shift+click or drag a box)." : null);
}

/** What decides whether a resource of the run shown can be redeployed. */
export interface RedeployGate {
  phase: RunPhase;
  /** The run's status (RUNNING, FINISHED…), null before the first one. */
  status: string | null;
  /** The resource's state in the run, undefined when the run does not know it. */
  state: ResourceState | undefined;
}

/** Why the resource cannot be redeployed now (the button's tooltip), or null when it can. */
export function redeployBlocker(g: RedeployGate): string | null {
  if (g.phase === "history") return "This is a past run, shown read-only.";
  if (g.phase !== "live" || (g.status !== "RUNNING" && g.status !== "FINISHED"))
    return "Only a resource of a running run can be redeployed.";
  if (g.state === undefined || g.state === "NEW") return "This resource was not deployed in this run.";
  return null;
}
