import type { Metric, MetricExtractor } from "../model/campaign.js";
import type { StateEvent } from "../model/events.js";
import { parseIperf3 } from "../parsers/iperf3.js";
import { parsePing } from "../parsers/ping.js";
import { parseTraceroute } from "../parsers/traceroute.js";

/** What a metric is read from: the resource's trace text, its timeline, its failure. */
export interface MetricSource {
  text?: string;
  timeline: readonly StateEvent[];
  failure?: string;
}

const FROM_TEXT: Partial<Record<MetricExtractor, (text: string) => number | undefined>> = {
  "ping.rttAvg": (t) => parsePing(t).summary?.avgMs,
  "ping.rttMin": (t) => parsePing(t).summary?.minMs,
  "ping.loss": (t) => parsePing(t).summary?.lossPercent,
  "iperf3.throughputMbps": (t) => {
    const bps = parseIperf3(t).summary?.bitsPerSecond;
    return bps === undefined ? undefined : bps / 1e6;
  },
  "traceroute.hops": (t) => {
    const r = parseTraceroute(t);
    return r.hops.length > 0 ? r.hops.length : undefined;
  },
};

/** The metric's value in one run, or why there is none (a run never reports a value it lacks). */
export function extractMetric(m: Metric, src: MetricSource): { value: number } | { error: string } {
  const found = (v: number | undefined, what: string) =>
    v !== undefined && Number.isFinite(v) ? { value: v } : { error: `metric "${m.name}": ${what}` };
  if (m.regex !== undefined) {
    const match = new RegExp(m.regex, "m").exec(src.text ?? "");
    if (!match) return { error: `metric "${m.name}": /${m.regex}/ matched nothing in trace "${m.trace}"` };
    return found(Number(match[1] ?? match[0]), `/${m.regex}/ matched "${match[1] ?? match[0]}", not a number`);
  }
  if (m.extract === "duration") {
    const at = (state: string) => src.timeline.find((e) => e.state === state)?.at;
    const started = at("STARTED");
    const finished = at("FINISHED");
    return found(
      started !== undefined && finished !== undefined ? finished - started : undefined,
      "never went from STARTED to FINISHED",
    );
  }
  if (m.extract === "exitCode") {
    // A finished process exited 0; a failed one says its code in its failure.
    const code = src.failure ? /exit code (\d+)/.exec(src.failure)?.[1] : undefined;
    if (code !== undefined) return { value: Number(code) };
    return found(src.timeline.some((e) => e.state === "FINISHED") ? 0 : undefined, "no exit code (the process did not finish)");
  }
  const parse = FROM_TEXT[m.extract as MetricExtractor];
  if (!parse) return { error: `metric "${m.name}": unknown extractor "${m.extract}"` };
  return found(parse(src.text ?? ""), `${m.extract} found nothing in trace "${m.trace}"`);
}
