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
}

/** A small line chart (uPlot) that redraws in place as the series grows. */
export function LineChart({ title, xLabel, yLabel, x, y, color, testId }: ChartProps) {
  const hostRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    const width = Math.max(host.clientWidth, 240);
    const plot = new uPlot(
      {
        title,
        width,
        height: 150,
        scales: { x: { time: false } },
        axes: [{ label: xLabel, size: 36 }, { label: yLabel, size: 50 }],
        series: [{ label: xLabel }, { label: yLabel, stroke: color, width: 2, points: { show: true, size: 5 } }],
        legend: { show: true },
      },
      [[], []],
      host,
    );
    plotRef.current = plot;
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(host.clientWidth, 240), height: 150 }));
    resize.observe(host);
    return () => {
      resize.disconnect();
      plot.destroy();
      plotRef.current = null;
    };
  }, [title, xLabel, yLabel, color]);

  useEffect(() => {
    plotRef.current?.setData([x, y]);
  }, [x, y]);

  return <div className="chart" data-testid={testId} data-points={x.length} ref={hostRef} />;
}
