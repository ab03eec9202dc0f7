// Turn sampled metric histories into uPlot's aligned data (one shared x array).
import { toNumber } from "../runs/runData";
import type { MetricWithRunId } from "../api/types";
import { ema } from "./ema";

export type XAxis = "step" | "time";

export interface RunSeries {
  runId: string;
  x: number[];
  y: number[];
}

/** Group points by run and map them to x (step, or seconds since the run's start). */
export function toSeries(points: MetricWithRunId[], runIds: string[], xAxis: XAxis, starts: Map<string, number>): RunSeries[] {
  const by = new Map<string, MetricWithRunId[]>();
  for (const p of points) {
    const l = by.get(p.run_id);
    if (l) l.push(p);
    else by.set(p.run_id, [p]);
  }
  return runIds.map((runId) => {
    const ps = (by.get(runId) ?? []).slice();
    if (xAxis === "step") ps.sort((a, b) => (a.step ?? 0) - (b.step ?? 0) || a.timestamp - b.timestamp);
    else ps.sort((a, b) => a.timestamp - b.timestamp);
    const t0 = starts.get(runId) ?? ps[0]?.timestamp ?? 0;
    return {
      runId,
      x: ps.map((p) => (xAxis === "step" ? p.step ?? 0 : (p.timestamp - t0) / 1000)),
      y: ps.map((p) => toNumber(p.value)),
    };
  });
}

/** Join series on a shared sorted x; missing points are null. Smoothing is applied per series. */
export function alignSeries(series: RunSeries[], smoothing: number): [number[], ...(number | null)[][]] {
  const xs = new Set<number>();
  for (const s of series) for (const x of s.x) xs.add(x);
  const x = [...xs].sort((a, b) => a - b);
  const index = new Map(x.map((v, i) => [v, i]));
  const ys = series.map((s) => {
    const col: (number | null)[] = new Array<number | null>(x.length).fill(null);
    // last value wins on duplicate x
    s.x.forEach((xv, i) => {
      const v = s.y[i]!;
      col[index.get(xv)!] = Number.isFinite(v) ? v : null;
    });
    if (smoothing <= 0) return col;
    const present = col.map((v, i) => [v, i] as const).filter(([v]) => v !== null);
    const smoothed = ema(present.map(([v]) => v), smoothing);
    present.forEach(([, i], k) => (col[i] = smoothed[k] ?? null));
    return col;
  });
  return [x, ...ys];
}
