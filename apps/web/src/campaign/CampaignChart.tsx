import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { CampaignChartData } from "./feed";

const HEIGHT = 180;
const COLORS = ["#2f6fd6", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285"];

/**
 * Draws each point's confidence interval as a vertical bar with caps (uPlot has no error bars:
 * a draw hook paints them over the series, from the same scales).
 */
function errorBars(data: { current: CampaignChartData }): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u) => {
          const ctx = u.ctx;
          const cap = 4 * devicePixelRatio;
          data.current.series.forEach((s, si) => {
            ctx.save();
            ctx.strokeStyle = COLORS[si % COLORS.length]!;
            ctx.lineWidth = 1.5 * devicePixelRatio;
            data.current.x.forEach((xv, i) => {
              const lo = s.low[i];
              const hi = s.high[i];
              if (lo == null || hi == null) return;
              const x = u.valToPos(xv, "x", true);
              const y0 = u.valToPos(lo, "y", true);
              const y1 = u.valToPos(hi, "y", true);
              ctx.beginPath();
              ctx.moveTo(x, y0);
              ctx.lineTo(x, y1);
              ctx.moveTo(x - cap, y0);
              ctx.lineTo(x + cap, y0);
              ctx.moveTo(x - cap, y1);
              ctx.lineTo(x + cap, y1);
              ctx.stroke();
            });
            ctx.restore();
          });
        },
      ],
    },
  };
}

/** The y range: every mean and every interval's end, with a little room. */
function yRange(d: CampaignChartData): [number, number] {
  const ys = d.series.flatMap((s) => [...s.mean, ...s.low, ...s.high]).filter((v): v is number => v != null);
  if (ys.length === 0) return [0, 1];
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const pad = hi === lo ? Math.abs(hi) * 0.1 || 1 : (hi - lo) * 0.1;
  return [lo - pad, hi + pad];
}

/** The metric's mean (a line through the points) and its confidence interval (error bars) against a parameter. */
export function CampaignChart({ data, xLabel, yLabel }: { data: CampaignChartData; xLabel: string; yLabel: string }) {
  const hostRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const dataRef = useRef(data);
  const shape = `${data.series.length}|${data.ticks.join("\u0000")}`;

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    const axis = {
      font: "11px system-ui, sans-serif",
      labelFont: "11px system-ui, sans-serif",
      stroke: "#444",
      grid: { stroke: "#eceff3" },
    };
    const d = dataRef.current;
    const numeric = d.ticks.every((t, i) => String(d.x[i]) === t);
    const plot = new uPlot(
      {
        width: Math.max(host.clientWidth, 280),
        height: HEIGHT,
        scales: {
          x: { time: false, range: (_u, min, max) => [min - (max - min || 1) * 0.15, max + (max - min || 1) * 0.15] },
          y: { range: () => yRange(dataRef.current) },
        },
        axes: [
          {
            ...axis,
            label: xLabel,
            labelSize: 16,
            size: 34,
            // Only the swept values are ticks; not numbers: their text at positions 1, 2, 3…
            splits: () => dataRef.current.x,
            values: (_u, splits) => splits.map((v) => (numeric ? String(v) : (dataRef.current.ticks[v - 1] ?? ""))),
          },
          { ...axis, label: yLabel, labelSize: 16, size: 58 },
        ],
        series: [
          { label: xLabel },
          ...d.series.map((s, i) => ({
            label: s.label || yLabel,
            stroke: COLORS[i % COLORS.length]!,
            width: 2,
            spanGaps: false,
            points: { show: true, size: 7, fill: COLORS[i % COLORS.length]! },
          })),
        ],
        legend: { show: d.series.length > 1 },
        cursor: { y: false },
        plugins: [errorBars(dataRef)],
      },
      [d.x, ...d.series.map((s) => s.mean)],
      host,
    );
    plotRef.current = plot;
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(host.clientWidth, 280), height: HEIGHT }));
    resize.observe(host);
    return () => {
      resize.disconnect();
      plot.destroy();
      plotRef.current = null;
    };
  }, [shape, xLabel, yLabel]);

  useEffect(() => {
    dataRef.current = data;
    plotRef.current?.setData([data.x, ...data.series.map((s) => s.mean)]);
  }, [data]);

  const points = data.series.reduce((n, s) => n + s.mean.filter((m) => m != null).length, 0);
  return (
    <figure className="chart-figure">
      <figcaption>
        {yLabel}: mean and confidence interval against {xLabel}
      </figcaption>
      <div className="chart" data-testid="campaign-chart" data-points={points} ref={hostRef} />
    </figure>
  );
}
