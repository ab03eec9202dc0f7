import { useMemo, useRef, useState } from "react";
import type { Run } from "../api/types";
import { download, fileStem } from "../charts/exporting";
import { columnValue, runName } from "../runs/runData";
import { Button, Empty } from "../ui/kit";
import { colorFor } from "../ui/theme";
import { buildAxis, defaultAxes, polyline, position, type Axis } from "./axes";

const HEIGHT = 300;
const TOP = 28;
const BOTTOM = 24;
const SPACING = 150;

/** Parallel coordinates (SVG) of the runs over chosen params and metrics; hover a line to see the run. */
export function ParallelCoordinates({ runs, keys }: { runs: Run[]; keys: string[] }) {
  const [chosen, setChosen] = useState<string[] | null>(null);
  const [hover, setHover] = useState<string | null>(null);
  const svg = useRef<SVGSVGElement>(null);
  const active = (chosen ?? defaultAxes(keys)).filter((k) => keys.includes(k));
  const axes = useMemo(
    () => active.map((k) => buildAxis(k, runs.map((r) => columnValue(r, k)))).filter((a): a is Axis => a !== null),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [runs, active.join("\u0000")],
  );
  if (keys.length === 0) return <Empty>No params or metrics to plot.</Empty>;
  const width = Math.max(2, axes.length) * SPACING;
  const xs = axes.map((_, i) => SPACING / 2 + i * SPACING);
  const h = HEIGHT - TOP - BOTTOM;
  const toggle = (k: string) => setChosen(active.includes(k) ? active.filter((x) => x !== k) : [...active, k]);
  const exportSvg = () => {
    if (svg.current) download(`${fileStem("parallel-coordinates")}.svg`, new Blob([new XMLSerializer().serializeToString(svg.current)], { type: "image/svg+xml" }));
  };

  return (
    <div className="tl-col" style={{ gap: 6 }}>
      <div className="tl-row" style={{ flexWrap: "wrap", gap: 6 }}>
        <span className="tl-muted">axes:</span>
        {keys.map((k) => (
          <label key={k} className="tl-row" style={{ gap: 2 }}>
            <input type="checkbox" checked={active.includes(k)} onChange={() => toggle(k)} aria-label={`Axis ${k}`} />
            <span className="mono">{k}</span>
          </label>
        ))}
        <span className="tl-spacer" />
        <Button small onClick={exportSvg} disabled={axes.length === 0}>
          SVG
        </Button>
      </div>
      {axes.length === 0 ? (
        <Empty>Choose at least one axis.</Empty>
      ) : (
        <div style={{ overflowX: "auto" }}>
          <svg ref={svg} xmlns="http://www.w3.org/2000/svg" width={width} height={HEIGHT} role="img" aria-label="Parallel coordinates" className="tl-parallel" style={{ fontSize: 11 }}>
            <g>
              {runs.map((r, i) => {
                const d = polyline(axes.map((a) => position(a, columnValue(r, a.key))), xs, TOP, h);
                const id = r.info.run_id;
                return (
                  <path
                    key={id}
                    d={d}
                    data-run={id}
                    fill="none"
                    stroke={colorFor(i)}
                    strokeWidth={hover === id ? 3 : 1.5}
                    strokeOpacity={hover && hover !== id ? 0.25 : 0.9}
                    onMouseEnter={() => setHover(id)}
                    onMouseLeave={() => setHover(null)}
                  >
                    <title>{runName(r)}</title>
                  </path>
                );
              })}
            </g>
            {axes.map((a, i) => (
              <g key={a.key} transform={`translate(${xs[i]},0)`} data-axis={a.key}>
                <line y1={TOP} y2={TOP + h} stroke="currentColor" strokeOpacity={0.6} />
                <text y={TOP - 10} textAnchor="middle" fill="currentColor" fontWeight={600}>
                  {a.key.length > 24 ? `${a.key.slice(0, 23)}…` : a.key}
                </text>
                {a.ticks.map((t) => (
                  <text key={t.label} x={4} y={TOP + (1 - t.at) * h + 4} fill="currentColor" fillOpacity={0.75}>
                    {t.label.length > 16 ? `${t.label.slice(0, 15)}…` : t.label}
                  </text>
                ))}
              </g>
            ))}
          </svg>
        </div>
      )}
      {hover ? <span className="tl-muted">{runName(runs.find((r) => r.info.run_id === hover)!)}</span> : null}
    </div>
  );
}
