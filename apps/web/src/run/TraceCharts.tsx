import { useMemo } from "react";
import { parsePing, parseIperf3 } from "@nepi/core";
import { LineChart } from "./Chart";

/** True when a trace gets a chart next to its text. */
export function hasChart(t: { rtype: string; name: string }): boolean {
  return t.name === "stdout" && (t.rtype === "linux::Ping" || t.rtype === "linux::Iperf3");
}

/** Charts drawn from a trace's text: ping → RTT and loss; iperf3 → throughput. */
export function TraceCharts({ rtype, trace, text }: { rtype: string; trace: string; text: string }) {
  if (trace !== "stdout") return null;
  if (rtype === "linux::Ping") return <PingChart text={text} />;
  if (rtype === "linux::Iperf3") return <IperfChart text={text} />;
  return null;
}

function PingChart({ text }: { text: string }) {
  const parsed = useMemo(() => parsePing(text), [text]);
  const x = useMemo(() => parsed.replies.map((r) => r.seq), [parsed]);
  const y = useMemo(() => parsed.replies.map((r) => r.rttMs), [parsed]);
  const loss = parsed.summary?.lossPercent;
  return (
    <div className="trace-chart" data-testid="rtt-chart-box">
      <LineChart title="Round-trip time (ms) per echo request" xLabel="icmp_seq" yLabel="RTT (ms)" x={x} y={y} color="#2f6fd6" testId="rtt-chart" integerX />
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
      <LineChart title={`Throughput (${unit}) over time`} xLabel="time (s)" yLabel={unit} x={x} y={y} color="#1f9d55" testId="throughput-chart" />
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
