import { z } from "zod";
import { ExperimentDocumentSchema, type ExperimentDocument, type HostsCheckReport } from "@nepi/core";
import { checkHosts } from "@nepi/core/node";
import { mergeKeptCredentials } from "../security/credentials.js";
import { IdSchema } from "./experiments.js";
import { hostsExecProcedures } from "./hosts-exec.js";
import { notFound, procedure, router } from "./trpc.js";

/** A saved experiment, or a design being edited (its credentials left as placeholders are the saved ones). */
const CheckInput = z
  .object({ experimentId: IdSchema.optional(), document: ExperimentDocumentSchema.optional() })
  .refine((i) => i.experimentId !== undefined || i.document !== undefined, {
    message: "expected an experimentId or a document",
    path: ["experimentId"],
  });

export const hostsRouter = router({
  /**
   * Checks every host of the design before deploy (core's checkHosts): for each host-role
   * resource, reachable, host key, login, shell, sudo, packages and disk, each ok / warning /
   * problem with its reason and fix. Each host answers within its connect timeout.
   */
  check: procedure.input(CheckInput).mutation(async ({ ctx, input }): Promise<HostsCheckReport> => {
    let saved: ExperimentDocument | undefined;
    if (input.experimentId !== undefined) {
      saved = (await ctx.store.getExperiment(input.experimentId))?.document;
      if (!saved) throw notFound("experiment", input.experimentId);
    }
    const document = input.document ? mergeKeptCredentials(input.document as ExperimentDocument, saved) : saved!;
    return checkHosts(document);
  }),
  ...hostsExecProcedures,
});
