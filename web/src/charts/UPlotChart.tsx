import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { cssVar, useThemeName } from "../ui/theme";

export interface UPlotSeriesDef {
  label: string;
  color: string;
  points?: boolean;
  /** A band edge (lo/hi): faint, no legend entry. */
  edge?: boolean;
}

/** Fill between two data columns (indexes into data, 1-based like uPlot series). */
export interface UPlotBand {
  hi: number;
  lo: number;
  color: string;
}

/** A value the line cannot show at x: NaN (× at the bottom edge), +inf (▲ at the top), -inf (▼ at the bottom). */
export interface UPlotMarker {
  x: number;
  kind: "nan" | "inf" | "-inf";
  color: string;
}

/** Draw the markers inside the plot area (canvas pixels). */
export function drawMarkers(u: uPlot, markers: UPlotMarker[]): void {
  if (!markers.length) return;
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  const r = 4 * devicePixelRatio;
  ctx.save();
  ctx.lineWidth = 1.5 * devicePixelRatio;
  for (const m of markers) {
    const x = u.valToPos(m.x, "x", true);
    if (!(x >= left && x <= left + width)) continue;
    ctx.strokeStyle = m.color;
    ctx.fillStyle = m.color;
    ctx.beginPath();
    if (m.kind === "nan") {
      const y = top + height - r - 1;
      ctx.moveTo(x - r, y - r);
      ctx.lineTo(x + r, y + r);
      ctx.moveTo(x + r, y - r);
      ctx.lineTo(x - r, y + r);
      ctx.stroke();
    } else {
      const y = m.kind === "inf" ? top + 1 : top + height - 3 * r - 1;
      const tip = m.kind === "inf" ? y : y + 2 * r;
      const base = m.kind === "inf" ? y + 2 * r : y;
      ctx.moveTo(x, tip);
      ctx.lineTo(x - r, base);
      ctx.lineTo(x + r, base);
      ctx.closePath();
      ctx.fill();
    }
  }
  ctx.restore();
}

/** "#rrggbb" with an alpha, as rgba(). */
export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return hex;
  return `rgba(${parseInt(m[1]!, 16)},${parseInt(m[2]!, 16)},${parseInt(m[3]!, 16)},${alpha})`;
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
  bands?: UPlotBand[];
  /** NaN / ±inf marks (see UPlotMarker). */
  markers?: UPlotMarker[];
  /** Receives the plot when created (null when destroyed), e.g. to export its canvas. */
  onPlot?: (u: uPlot | null) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const theme = useThemeName();
  const cb = useRef(props);
  cb.current = props;
  const shape = `${props.series.map((s) => `${s.label}|${s.color}`).join(",")}|${props.logY}|${props.scatter}|${props.points}|${props.xLabel}|${props.yLabel}|${theme}|${Boolean(props.onSelectRange)}|${(props.bands ?? []).map((b) => `${b.hi}:${b.lo}:${b.color}`).join(",")}|${props.timeX}`;

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
        : { x: { time: Boolean(props.timeX) }, y: props.logY ? { distr: 3 } : {} },
      axes: [axis(props.xLabel), axis(props.yLabel ?? "")],
      cursor: { drag: { x: true, y: false, setScale: !selecting }, bind: selecting ? { dblclick: () => () => { cb.current.onResetZoom?.(); return null; } } : {} },
      legend: { live: true },
      series: [
        { label: props.xLabel },
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.edge ? withAlpha(s.color, 0.35) : s.color,
          width: props.scatter ? 0 : s.edge ? 0.5 : 1.5,
          spanGaps: true,
          points: props.scatter ? { show: true, size: 7, stroke: s.color, fill: s.color } : { show: s.points ?? props.points ?? false },
          paths: props.scatter ? () => null : undefined,
        })),
      ],
      bands: (props.bands ?? []).map((b) => ({ series: [b.hi, b.lo] as [number, number], fill: withAlpha(b.color, 0.18) })),
      hooks: {
        draw: [(u) => drawMarkers(u, cb.current.markers ?? [])],
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
    // Band edges get no legend row (their values show as the band).
    const rows = u.root.querySelectorAll<HTMLElement>(".u-legend .u-series");
    props.series.forEach((s, i) => {
      if (s.edge && rows[i + 1]) rows[i + 1]!.style.display = "none";
    });
    cb.current.onPlot?.(u);
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (Math.abs(w - u.width) > 2) u.setSize({ width: w, height: u.height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      cb.current.onPlot?.(null);
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
