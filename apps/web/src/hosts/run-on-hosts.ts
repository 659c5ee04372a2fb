import { designHosts, hasRole, HOST_ROLE, type DesignHost, type HostExecResult, type ResourceTypeInfo } from "@nepi/core";
import { errorMessage, trpc } from "../api/trpc";
import { saveDesign } from "../designer/persistence";
import type { DesignStore } from "../designer/store";

/** The hosts of the design on the canvas (resources whose type has the `host` role). */
export function hostsOfDesign(design: DesignStore): DesignHost[] {
  const s = design.getState();
  return designHosts(s.toDocument(), (rtype) => s.catalog[rtype]);
}

/** Whether any node of the canvas is a host (the toolbar button is useless without one). */
export function hasHost(nodes: ReadonlyArray<{ data: { rtype: string } }>, catalog: Record<string, ResourceTypeInfo>): boolean {
  return nodes.some((n) => hasRole(catalog[n.data.rtype], HOST_ROLE));
}

/** The hosts ticked when the panel opens: the selected ones, or every host when none is selected. */
export function initialChoice(hosts: readonly DesignHost[], selectedGuids: readonly number[]): number[] {
  const selected = hosts.filter((h) => selectedGuids.includes(h.guid)).map((h) => h.guid);
  return selected.length > 0 ? selected : hosts.map((h) => h.guid);
}

export interface RunGate {
  readOnly: boolean;
  chosen: number;
  command: string;
  running: boolean;
}

/** Why Run cannot be pressed now (its tooltip), or null when it can. */
export function runBlocker(g: RunGate): string | null {
  if (g.readOnly) return "A past run is shown: go back to the design first.";
  if (g.running) return "The command is running on the hosts.";
  if (g.chosen === 0) return "Tick at least one host.";
  if (g.command.trim() === "") return "Type a command first.";
  return null;
}

export interface RunAnswer {
  ok: boolean;
  results: HostExecResult[];
}

/**
 * Saves the design when it changed (the backend runs the command with the saved design's
 * settings and credentials, which never come back to the page), then runs `command` on the
 * chosen hosts. An error (the save, or the request) is returned as text.
 */
export async function runOnHosts(design: DesignStore, guids: number[], command: string): Promise<RunAnswer | { error: string }> {
  const s = design.getState();
  const experimentId = s.experimentId && !s.dirty ? s.experimentId : await saveDesign(design);
  if (!experimentId) return { error: "the design could not be saved" };
  try {
    return await trpc.hosts.exec.mutate({ experimentId, hosts: guids, command });
  } catch (err) {
    return { error: errorMessage(err) };
  }
}

/** "2 of 3 hosts ok" — the line above the answers. */
export function answerSummary(results: readonly HostExecResult[]): string {
  const ok = results.filter((r) => r.ok).length;
  return `${ok} of ${results.length} host${results.length === 1 ? "" : "s"} ok`;
}

/** What a host's badge says: its exit code, or why there is none. */
export function outcome(r: HostExecResult): string {
  if (r.error) return r.code === null ? r.error : `exit ${r.code}: ${r.error}`;
  return `exit ${r.code}`;
}
