import { z } from "zod";
import { AttributeValueSchema } from "./catalog-schema.js";

/** The metric extractors built on core's parsers and the timeline (see campaign/metrics.ts). */
export const METRIC_EXTRACTORS = [
  "ping.rttAvg",
  "ping.rttMin",
  "ping.loss",
  "iperf3.throughputMbps",
  "traceroute.hops",
  "duration",
  "exitCode",
] as const;
export type MetricExtractor = (typeof METRIC_EXTRACTORS)[number];

const Label = z.string().min(1, "expected a resource label");

/** One swept attribute: the resource (by label), the attribute, the values it takes. */
export const CampaignParameterSchema = z.object({
  resource: Label,
  attribute: z.string().min(1, "expected an attribute name"),
  values: z.array(AttributeValueSchema).min(1, "expected at least one value"),
});
export type CampaignParameter = z.infer<typeof CampaignParameterSchema>;

/** A fixed number of runs per point, or runs until `metric` converges (Student's t interval). */
export const RepetitionsSchema = z.union([
  z.strictObject({ count: z.number().int().positive("expected a positive number of runs") }),
  z
    .strictObject({
      min: z.number().int().min(2, "expected at least 2 runs (a confidence interval needs two)"),
      max: z.number().int().positive("expected a positive number of runs"),
      metric: z.string().min(1, "expected the name of a declared metric"),
      relError: z.number().positive("expected a relative error above 0"),
      confidence: z.number().gt(0, "expected a confidence between 0 and 1").lt(1, "expected a confidence between 0 and 1"),
    })
    .refine((r) => r.max >= r.min, { path: ["max"], message: "expected max ≥ min" }),
]);
export type Repetitions = z.infer<typeof RepetitionsSchema>;

/** A number read from each run: a built-in extractor, or the first capture group of `regex` over a trace. */
export const MetricSchema = z
  .object({
    name: z.string().min(1, "expected a metric name"),
    resource: Label,
    trace: z.string().min(1, "expected a trace name").optional(),
    extract: z.string().optional(),
    regex: z.string().optional(),
  })
  .superRefine((m, ctx) => {
    if ((m.extract === undefined) === (m.regex === undefined))
      ctx.addIssue({ code: "custom", path: ["extract"], message: "expected exactly one of extract and regex" });
    if (m.extract !== undefined && !(METRIC_EXTRACTORS as readonly string[]).includes(m.extract))
      ctx.addIssue({
        code: "custom",
        path: ["extract"],
        message: `unknown extractor "${m.extract}" (known: ${METRIC_EXTRACTORS.join(", ")})`,
      });
    if (m.regex !== undefined) {
      try {
        new RegExp(m.regex);
      } catch (e) {
        ctx.addIssue({ code: "custom", path: ["regex"], message: (e as Error).message });
      }
    }
    const needsTrace = m.regex !== undefined || (m.extract !== undefined && m.extract !== "duration" && m.extract !== "exitCode");
    if (needsTrace && m.trace === undefined)
      ctx.addIssue({ code: "custom", path: ["trace"], message: 'expected the trace the metric is read from (e.g. "stdout")' });
  });
export type Metric = z.infer<typeof MetricSchema>;

/** Repetitions and parameter sweeps of one design (NEPI's ExperimentRunner, execo's ParamSweeper). */
export const CampaignSchema = z.object({
  parameters: z.array(CampaignParameterSchema).default([]),
  repetitions: RepetitionsSchema,
  metrics: z.array(MetricSchema).default([]),
});
export type Campaign = z.infer<typeof CampaignSchema>;
