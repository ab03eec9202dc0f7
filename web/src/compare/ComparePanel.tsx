import { useMemo, useState } from "react";
import type { Run } from "../api/types";
import { hrefFor } from "../routing/router";
import { runName } from "../runs/runData";
import { UPlotChart } from "../charts/UPlotChart";
import { Empty, formatValue } from "../ui/kit";
import { colorFor } from "../ui/theme";
import { ParallelCoordinates } from "../parallel/ParallelCoordinates";
import { diffRows, numeric, numericKeys, onlyDifferences } from "./diff";

export function ComparePanel({ runs }: { runs: Run[] }) {
  const [only, setOnly] = useState(true);
  const [tags, setTags] = useState(false);
  const rows = useMemo(() => diffRows(runs, tags), [runs, tags]);
  const shown = onlyDifferences(rows, only);
  const nkeys = useMemo(() => numericKeys(rows), [rows]);
  const [xKey, setX] = useState<string>("");
  const [yKey, setY] = useState<string>("");
  const x = nkeys.includes(xKey) ? xKey : nkeys[0] ?? "";
  const y = nkeys.includes(yKey) ? yKey : nkeys.find((k) => k.startsWith("metrics.")) ?? nkeys[1] ?? nkeys[0] ?? "";

  // Params and metrics, those that differ between the runs first.
  const parallelKeys = useMemo(() => {
    const cols = rows.filter((r) => r.kind !== "tags");
    return [...cols.filter((r) => r.differs), ...cols.filter((r) => !r.differs)].map((r) => `${r.kind}.${r.key}`);
  }, [rows]);

  if (runs.length < 2) return <Empty>Tick at least two runs in the table to compare them.</Empty>;

  return (
    <div className="tl-col" style={{ gap: 12 }}>
      <div className="tl-row">
        <label className="tl-row" style={{ gap: 4 }}>
          <input type="checkbox" checked={only} onChange={(e) => setOnly(e.target.checked)} /> only differences
        </label>
        <label className="tl-row" style={{ gap: 4 }}>
          <input type="checkbox" checked={tags} onChange={(e) => setTags(e.target.checked)} /> include tags
        </label>
        <span className="tl-muted">
          {shown.length} of {rows.length} rows
        </span>
      </div>
      <div style={{ overflow: "auto", maxHeight: "55vh" }}>
        <table className="tl-kv" aria-label="Run comparison">
          <thead>
            <tr>
              <th>key</th>
              {runs.map((r, i) => (
                <th key={r.info.run_id}>
                  <span style={{ color: colorFor(i) }}>■ </span>
                  <a href={hrefFor(["runs", r.info.run_id])}>{runName(r)}</a>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <tr key={`${row.kind}.${row.key}`} className={row.differs ? "diff" : ""}>
                <td>
                  <span className="tl-kind">{row.kind}</span> {row.key}
                </td>
                {row.values.map((v, i) => (
                  <td key={i} className="mono">
                    {v === undefined ? <span className="tl-muted">—</span> : formatValue(v)}
                  </td>
                ))}
              </tr>
            ))}
            {shown.length === 0 ? (
              <tr>
                <td colSpan={runs.length + 1} className="tl-muted">
                  {only ? "No differences." : "Nothing logged."}
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      <h2>Parallel coordinates</h2>
      <div className="tl-chart-card" data-testid="parallel-coordinates">
        <ParallelCoordinates runs={runs} keys={parallelKeys} />
      </div>
      <h2>Scatter</h2>
      {nkeys.length === 0 ? (
        <Empty>No numeric params or metrics to plot.</Empty>
      ) : (
        <div className="tl-chart-card" style={{ maxWidth: 760 }}>
          <div className="tl-row">
            <label className="tl-row" style={{ gap: 4 }}>
              x
              <select className="tl-input" aria-label="Scatter x" value={x} onChange={(e) => setX(e.target.value)}>
                {nkeys.map((k) => (
                  <option key={k} value={k}>{k}</option>
                ))}
              </select>
            </label>
            <label className="tl-row" style={{ gap: 4 }}>
              y
              <select className="tl-input" aria-label="Scatter y" value={y} onChange={(e) => setY(e.target.value)}>
                {nkeys.map((k) => (
                  <option key={k} value={k}>{k}</option>
                ))}
              </select>
            </label>
          </div>
          <Scatter runs={runs} rows={rows} x={x} y={y} />
        </div>
      )}
    </div>
  );
}

function Scatter({ runs, rows, x, y }: { runs: Run[]; rows: ReturnType<typeof diffRows>; x: string; y: string }) {
  const data = useMemo(() => {
    const get = (col: string) => rows.find((r) => `${r.kind}.${r.key}` === col)?.values.map(numeric) ?? runs.map(() => null);
    const xs = get(x);
    const ys = get(y);
    const uniq = [...new Set(xs.filter((v): v is number => v !== null))].sort((a, b) => a - b);
    const idx = new Map(uniq.map((v, i) => [v, i]));
    const series = runs.map((_, i) => {
      const col: (number | null)[] = new Array<number | null>(uniq.length).fill(null);
      const xv = xs[i];
      if (xv !== null && xv !== undefined) col[idx.get(xv)!] = ys[i] ?? null;
      return col;
    });
    return [uniq, ...series] as [number[], ...(number | null)[][]];
  }, [runs, rows, x, y]);
  const series = useMemo(() => runs.map((r, i) => ({ label: runName(r), color: colorFor(i) })), [runs]);
  if (data[0].length === 0) return <Empty>No run has a numeric {x}.</Empty>;
  return <UPlotChart data={data} series={series} xLabel={x} yLabel={y} scatter height={320} />;
}
