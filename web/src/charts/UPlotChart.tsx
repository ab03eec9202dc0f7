import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { cssVar, useThemeName } from "../ui/theme";

export interface UPlotSeriesDef {
  label: string;
  color: string;
  points?: boolean;
}

/**
 * A thin uPlot wrapper: re-creates the plot when the shape or theme changes, otherwise only setData.
 * onSelectRange is called with an x-range the user dragged (the plot does not zoom itself then).
 */
export function UPlotChart(props: {
  data: uPlot.AlignedData;
  series: UPlotSeriesDef[];
  xLabel: string;
  yLabel?: string;
  logY?: boolean;
  scatter?: boolean;
  points?: boolean;
  height?: number;
  timeX?: boolean;
  onSelectRange?: (min: number, max: number) => void;
  onResetZoom?: () => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const theme = useThemeName();
  const cb = useRef(props);
  cb.current = props;
  const shape = `${props.series.map((s) => `${s.label}|${s.color}`).join(",")}|${props.logY}|${props.scatter}|${props.points}|${props.xLabel}|${props.yLabel}|${theme}|${Boolean(props.onSelectRange)}`;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fg = cssVar("--fg-muted");
    const grid = cssVar("--border");
    const axis = (label: string): uPlot.Axis => ({ label, stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } });
    const selecting = Boolean(cb.current.onSelectRange);
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: props.height ?? 240,
      scales: props.scatter
        ? { x: { time: false, range: (_u, min, max) => uPlot.rangeNum(min, max, 0.1, true) }, y: { range: (_u, min, max) => uPlot.rangeNum(min, max, 0.1, true) } }
        : { x: { time: false }, y: props.logY ? { distr: 3 } : {} },
      axes: [axis(props.xLabel), axis(props.yLabel ?? "")],
      cursor: { drag: { x: true, y: false, setScale: !selecting }, bind: selecting ? { dblclick: () => () => { cb.current.onResetZoom?.(); return null; } } : {} },
      legend: { live: true },
      series: [
        { label: props.xLabel },
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: props.scatter ? 0 : 1.5,
          spanGaps: true,
          points: props.scatter ? { show: true, size: 7, stroke: s.color, fill: s.color } : { show: s.points ?? props.points ?? false },
          paths: props.scatter ? () => null : undefined,
        })),
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (!selecting || u.select.width < 5) return;
            const min = u.posToVal(u.select.left, "x");
            const max = u.posToVal(u.select.left + u.select.width, "x");
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            cb.current.onSelectRange?.(min, max);
          },
        ],
      },
    };
    const u = new uPlot(opts, cb.current.data, el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (Math.abs(w - u.width) > 2) u.setSize({ width: w, height: u.height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(props.data);
  }, [props.data]);

  return <div ref={box} className="tl-uplot" />;
}
