import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartProps {
  title: string;
  xLabel: string;
  yLabel: string;
  /** x values (ascending) and y values, same length. */
  x: number[];
  y: (number | null)[];
  color: string;
  testId: string;
  /** x takes whole values only (a sequence number): no ticks between them. */
  integerX?: boolean;
}

const HEIGHT = 140;
const INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

/** A small line chart (uPlot) that redraws in place as the series grows. */
export function LineChart({ title, xLabel, yLabel, x, y, color, testId, integerX = false }: ChartProps) {
  const hostRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    const width = Math.max(host.clientWidth, 240);
    const axis = {
      font: "11px system-ui, sans-serif",
      labelFont: "11px system-ui, sans-serif",
      stroke: "#444",
      grid: { stroke: "#eceff3" },
    };
    const plot = new uPlot(
      {
        width,
        height: HEIGHT,
        scales: { x: { time: false } },
        axes: [
          { ...axis, label: xLabel, labelSize: 16, size: 34, ...(integerX ? { incrs: INTEGER_STEPS } : {}) },
          { ...axis, label: yLabel, labelSize: 16, size: 58 },
        ],
        series: [{ label: xLabel }, { label: yLabel, stroke: color, width: 2, points: { show: true, size: 5, fill: color } }],
        legend: { show: false },
        cursor: { y: false },
      },
      [[], []],
      host,
    );
    plotRef.current = plot;
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(host.clientWidth, 240), height: HEIGHT }));
    resize.observe(host);
    return () => {
      resize.disconnect();
      plot.destroy();
      plotRef.current = null;
    };
  }, [title, xLabel, yLabel, color, integerX]);

  useEffect(() => {
    plotRef.current?.setData([x, y]);
  }, [x, y]);

  return (
    <figure className="chart-figure">
      <figcaption>{title}</figcaption>
      <div className="chart" data-testid={testId} data-points={x.length} ref={hostRef} />
    </figure>
  );
}
