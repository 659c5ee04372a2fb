import { HostExecRequestSchema, parseTime, type HostExecResult } from "@nepi/core";
import { execOnHosts } from "@nepi/core/node";
import { IdSchema } from "./experiments.js";
import { notFound, procedure } from "./trpc.js";

/** A command with no timeout of its own is ended after this long: a request never hangs. */
const DEFAULT_TIMEOUT = "5m";
/** Characters of stdout and of stderr kept per host in an answer. */
const MAX_OUTPUT = 256 * 1024;

/** `hosts.exec` (mounted by hosts.ts). */
export const hostsExecProcedures = {
  /**
   * Runs one shell command on hosts of a saved experiment at once (all of them, or those named
   * by label or guid) and answers per host: output, exit code, duration, or why it could not run
   * there. The design's credentials are read from the store and never leave the server.
   */
  exec: procedure
    .input(HostExecRequestSchema.extend({ experimentId: IdSchema }))
    .mutation(async ({ ctx, input }): Promise<{ ok: boolean; results: HostExecResult[] }> => {
      const exp = await ctx.store.getExperiment(input.experimentId);
      if (!exp) throw notFound("experiment", input.experimentId);
      const results = await execOnHosts(exp.document, input.command, {
        ...(input.hosts ? { hosts: input.hosts } : {}),
        timeoutMs: parseTime(input.timeout ?? DEFAULT_TIMEOUT, "timeout"),
        maxOutput: MAX_OUTPUT,
      });
      const failed = results.filter((r) => !r.ok).map((r) => r.label);
      // The command is the user's text: in a field, never in the message.
      ctx.log("hosts.exec", { experimentId: input.experimentId, command: input.command, hosts: results.length, failed });
      return { ok: failed.length === 0, results };
    }),
};
