import { z } from "zod";
import { timeStringProblem } from "./time.js";

/** A host of a design named by its label, or by its guid. */
export const HostSelectorSchema = z.union([
  z.string().min(1, "expected a host label").max(200),
  z.number({ error: "expected a host label or guid" }).int().positive("expected a guid (positive integer)"),
]);
export type HostSelector = z.infer<typeof HostSelectorSchema>;

/** One command to run on many hosts of a design at once (`nepi exec`, `hosts.exec`). */
export const HostExecRequestSchema = z.object({
  /** The hosts to run it on; every host of the design when absent. */
  hosts: z.array(HostSelectorSchema).min(1, "expected at least one host").max(10_000).optional(),
  command: z.string().trim().min(1, "expected a command").max(100_000),
  /** Each host's command is ended after this long (a time string: 30s, 5m). */
  timeout: z
    .string()
    .superRefine((value, ctx) => {
      const problem = timeStringProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional(),
});
export type HostExecRequest = z.infer<typeof HostExecRequestSchema>;

/**
 * What one host answered. `ok` when the command ran and exited 0; `error` when it could not be
 * run there (unreachable, authentication, timed out), the other hosts' answers unaffected.
 */
export const HostExecResultSchema = z.object({
  guid: z.number().int(),
  /** The resource's label, or `guid N` when it has none. */
  label: z.string(),
  /** How it was reached: `local` or `user@host:port`. */
  address: z.string(),
  ok: z.boolean(),
  /** The command's exit status (128+n for a signal); null when it did not run to the end. */
  code: z.number().int().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  /** From the start of the connection to the answer, ms. */
  durationMs: z.number(),
  error: z.string().optional(),
  /** The output was longer than the limit and was cut. */
  truncated: z.boolean().optional(),
});
export type HostExecResult = z.infer<typeof HostExecResultSchema>;
