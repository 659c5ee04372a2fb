import { useMemo, type ComponentType } from "react";
import { chartOf, parsePing, parseIperf3, type ChartParser, type ResourceTypeInfo } from "@nepi/core";
import { LineChart } from "./Chart";

/** The chart drawn for each parser a type's definition names (`charts: [{ trace, parser }]`). */
const CHARTS: Record<ChartParser, ComponentType<{ text: string }>> = {
  ping: PingChart,
  iperf3: IperfChart,
};

/** True when a trace gets a chart next to its text. */
export function hasChart(info: ResourceTypeInfo | undefined, trace: string): boolean {
  return chartOf(info, trace) !== undefined;
}

/** Charts drawn from a trace's text, as its type's definition says: ping → RTT and loss; iperf3 → throughput. */
export function TraceCharts({ info, trace, text }: { info: ResourceTypeInfo | undefined; trace: string; text: string }) {
  const parser = chartOf(info, trace);
  if (!parser) return null;
  const Chart = CHARTS[parser];
  return <Chart text={text} />;
}

function PingChart({ text }: { text: string }) {
  const parsed = useMemo(() => parsePing(text), [text]);
  const x = useMemo(() => parsed.replies.map((r) => r.seq), [parsed]);
  const y = useMemo(() => parsed.replies.map((r) => r.rttMs), [parsed]);
  const loss = parsed.summary?.lossPercent;
  return (
    <div className="trace-chart" data-testid="rtt-chart-box">
      <LineChart
        title="Round-trip time (ms) per echo request"
        xLabel="icmp_seq"
        yLabel="RTT (ms)"
        x={x}
        y={y}
        color="#2f6fd6"
        testId="rtt-chart"
        integerX
      />
      <p className="chart-summary" data-testid="ping-loss">
        {parsed.summary
          ? `${parsed.summary.transmitted} sent, ${parsed.summary.received} received, ${loss}% loss`
          : `${x.length} replies so far${parsed.missing.length ? `, ${parsed.missing.length} lost` : ""}`}
        {parsed.summary?.avgMs !== undefined ? ` · avg ${parsed.summary.avgMs} ms` : ""}
      </p>
    </div>
  );
}

function IperfChart({ text }: { text: string }) {
  const parsed = useMemo(() => parseIperf3(text), [text]);
  // Loopback runs at tens of Gbit/s, a real link at a few Mbit/s: pick the unit that reads well.
  const giga = parsed.intervals.some((i) => i.bitsPerSecond >= 1e9);
  const unit = giga ? "Gbit/s" : "Mbit/s";
  const scale = giga ? 1e9 : 1e6;
  const x = useMemo(() => parsed.intervals.map((i) => i.end), [parsed]);
  const y = useMemo(() => parsed.intervals.map((i) => i.bitsPerSecond / scale), [parsed, scale]);
  return (
    <div className="trace-chart" data-testid="throughput-chart-box">
      <LineChart
        title={`Throughput (${unit}) over time`}
        xLabel="time (s)"
        yLabel={unit}
        x={x}
        y={y}
        color="#1f9d55"
        testId="throughput-chart"
      />
      <p className="chart-summary">
        {parsed.error
          ? `iperf3: ${parsed.error}`
          : parsed.summary
            ? `average ${(parsed.summary.bitsPerSecond / scale).toFixed(2)} ${unit} over ${parsed.summary.seconds.toFixed(1)} s`
            : `${x.length} intervals so far`}
      </p>
    </div>
  );
}
