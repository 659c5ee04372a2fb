import { z } from "zod";
import { ExperimentDocumentSchema } from "./document.js";

/** A fact about a machine: its value, or why it could not be read (never silently missing). */
export const ManifestFactSchema = z.union([z.object({ value: z.string() }), z.object({ error: z.string() })]);
export type ManifestFact = z.infer<typeof ManifestFactSchema>;

/** The facts of one host of the design that change results. */
export const MachineFactsSchema = z.object({
  guid: z.number().int(),
  label: z.string(),
  /** How it was reached: `local` or `user@host:port`. */
  address: z.string(),
  uname: ManifestFactSchema,
  os: ManifestFactSchema,
  cpus: ManifestFactSchema,
  /** Installed version of each Debian package the resources on this host use. */
  tools: z.record(z.string(), ManifestFactSchema),
});
export type MachineFacts = z.infer<typeof MachineFactsSchema>;

/** `manifest.json` of a run: the document as run (every attribute resolved, credentials redacted) and its machines. */
export const RunManifestSchema = z.object({
  format: z.literal("nepi-manifest@1"),
  nepiStudio: z.string(),
  expId: z.string(),
  runId: z.string(),
  document: ExperimentDocumentSchema,
  machines: z.array(MachineFactsSchema),
});
export type RunManifest = z.infer<typeof RunManifestSchema>;
