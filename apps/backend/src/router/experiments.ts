import { z } from "zod";
import { ExperimentDocumentSchema, type ExperimentDocument, type Problem } from "@nepi/core";
import { mergeKeptCredentials, redactCredentials, stripMissingCredentials } from "../security/credentials.js";
import { notFound, procedure, router } from "./trpc.js";

export const IdSchema = z.string().min(1, "expected an id").max(200, "expected an id of at most 200 characters");

export const experimentsRouter = router({
  /** The saved experiments, most recently changed first. */
  list: procedure.query(({ ctx }) => ctx.store.listExperiments()),

  /** A saved experiment; credential values are replaced by CREDENTIAL_PLACEHOLDER. */
  get: procedure.input(z.object({ id: IdSchema })).query(async ({ ctx, input }) => {
    const exp = await ctx.store.getExperiment(input.id);
    if (!exp) throw notFound("experiment", input.id);
    return { ...exp, document: redactCredentials(exp.document) };
  }),

  /**
   * Creates (no id) or replaces (id) an experiment. A credential still holding the
   * placeholder keeps the value saved before.
   */
  save: procedure
    .input(z.object({ id: IdSchema.optional(), document: ExperimentDocumentSchema }))
    .mutation(async ({ ctx, input }) => {
      let saved: ExperimentDocument | undefined;
      if (input.id !== undefined) {
        saved = (await ctx.store.getExperiment(input.id))?.document;
        if (!saved) throw notFound("experiment", input.id);
      }
      const document = mergeKeptCredentials(input.document as ExperimentDocument, saved);
      const id = await ctx.store.saveExperiment(document, input.id);
      return { id };
    }),

  delete: procedure.input(z.object({ id: IdSchema })).mutation(async ({ ctx, input }) => {
    if (!(await ctx.store.deleteExperiment(input.id))) throw notFound("experiment", input.id);
    return { id: input.id, deleted: true };
  }),

  /**
   * Saves an experiment document as a new experiment. Credentials an export left out are
   * reported in `problems` (as warnings) so the user enters them again.
   */
  import: procedure
    .input(z.object({ document: ExperimentDocumentSchema }))
    .mutation(async ({ ctx, input }): Promise<{ id: string; problems: Problem[] }> => {
      const { document, missing } = stripMissingCredentials(input.document as ExperimentDocument);
      const id = await ctx.store.saveExperiment(document);
      return { id, problems: missing };
    }),

  /** The experiment document to write to a file, credential values replaced by a placeholder. */
  export: procedure.input(z.object({ id: IdSchema })).query(async ({ ctx, input }) => {
    const exp = await ctx.store.getExperiment(input.id);
    if (!exp) throw notFound("experiment", input.id);
    return redactCredentials(exp.document);
  }),
});
