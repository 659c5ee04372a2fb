import { z } from "zod";
import type { Problem } from "./errors.js";

/**
 * What `nepi check`, `hosts.check` and the designer's "Check hosts" report: for each machine of a
 * design, whether it has what the design will need, before anything is deployed. Browser-safe:
 * the checks themselves run in the Node-only entry (`checkHosts`, hosts/check.ts).
 */

/** The checks, in the order they are made (a later one is not made when an earlier one failed). */
export const HostCheckNameSchema = z.enum(["reachable", "hostKey", "auth", "shell", "sudo", "packages", "disk"]);
export type HostCheckName = z.infer<typeof HostCheckNameSchema>;

/** `warning`: the deploy copes but you should know (a package it will install); `problem`: it will fail. */
export const HostCheckStatusSchema = z.enum(["ok", "warning", "problem"]);
export type HostCheckStatus = z.infer<typeof HostCheckStatusSchema>;

export const HostCheckSchema = z.object({
  name: HostCheckNameSchema,
  status: HostCheckStatusSchema,
  /** What was found, for people ("iperf3 is not installed"). */
  reason: z.string(),
  /** What to do about it ("apt-get install iperf3"), when there is something to do. */
  fix: z.string().optional(),
});
export type HostCheck = z.infer<typeof HostCheckSchema>;

/** One host-role resource of the design and its checks. */
export const HostReportSchema = z.object({
  guid: z.number().int().positive(),
  label: z.string().optional(),
  /** How it is reached: `local` or `user@host:port`. */
  target: z.string(),
  /** No check is a problem. */
  ok: z.boolean(),
  checks: z.array(HostCheckSchema),
  /** How long its checks took, ms. */
  elapsedMs: z.number(),
});
export type HostReport = z.infer<typeof HostReportSchema>;

export const HostsCheckReportSchema = z.object({
  /** No host has a problem. */
  ok: z.boolean(),
  hosts: z.array(HostReportSchema),
  /** When the check was made (ms since the epoch). */
  at: z.number(),
});
export type HostsCheckReport = z.infer<typeof HostsCheckReportSchema>;

/** A host is ok when none of its checks is a problem (warnings do not count). */
export function hostOk(checks: readonly HostCheck[]): boolean {
  return checks.every((c) => c.status !== "problem");
}

/** The report's problems and warnings as the problems panel lists them, each on its host's guid. */
export function hostCheckProblems(report: HostsCheckReport): Problem[] {
  return report.hosts.flatMap((h) =>
    h.checks
      .filter((c) => c.status !== "ok")
      .map((c) => ({
        path: `hosts.${c.name}`,
        message: `${h.target}: ${c.reason}${c.fix ? ` — fix: ${c.fix}` : ""}`,
        code: "HOST_CHECK",
        guid: h.guid,
        severity: c.status === "problem" ? ("error" as const) : ("warning" as const),
      })),
  );
}
