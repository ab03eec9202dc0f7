// Pure helpers for charts drawn from bucketed histories (GET .../tracklog/metrics/get-history-sampled):
// x-axis modes, joining another metric as x by step, per-group mean ± std (or min/max) bands,
// and uPlot's aligned data with a min/max band per line.
import type { SampledSeries } from "../api/types";
import { ema } from "./ema";

/** step | wall time (epoch s) | relative time (s since the run started) | another metric ("metric:<key>"). */
export type XMode = "step" | "wall" | "relative" | `metric:${string}`;

export function xMetricKey(mode: XMode): string | null {
  return mode.startsWith("metric:") ? mode.slice("metric:".length) : null;
}

/** One drawn point: the bucket's step (for joins and grouping), x, the last value y, and the bucket's min/max. */
export interface Pt {
  step: number;
  bucket: number;
  x: number;
  y: number;
  lo: number;
  hi: number;
  /** NaN points in the bucket (even behind a finite last value). */
  nans: number;
}

export interface RunPoints {
  runId: string;
  width: number;
  /** True when some bucket merged several points (the band then shows their spread). */
  sampled: boolean;
  pts: Pt[];
}

/** Sorted steps and values of a series, for joins by step. */
export interface StepIndex {
  steps: number[];
  values: number[];
}

export function stepIndex(s: SampledSeries | undefined): StepIndex {
  return { steps: s?.step ?? [], values: s?.value ?? [] };
}

/** Value of the index at `step`: exact, else the closest earlier step, else NaN (nothing logged yet). */
export function valueAtStep(idx: StepIndex, step: number): number {
  const { steps } = idx;
  let lo = 0;
  let hi = steps.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid]! <= step) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? NaN : idx.values[found]!;
}

/** Map a run's buckets to drawn points for the x mode; points without an x (no joined value yet) are dropped. */
export function toRunPoints(s: SampledSeries, mode: XMode, startMs: number, xIndex?: StepIndex): RunPoints {
  const width = Math.max(1, s.bucket_width || 1);
  const pts: Pt[] = [];
  const n = s.step.length;
  let sampled = false;
  for (let i = 0; i < n; i++) {
    const step = s.step[i]!;
    const ts = s.timestamp[i]!;
    let x: number;
    if (mode === "step") x = step;
    else if (mode === "wall") x = ts / 1000;
    else if (mode === "relative") x = (ts - startMs) / 1000;
    else x = xIndex ? valueAtStep(xIndex, step) : NaN;
    if (s.count[i]! > 1) sampled = true;
    if (!Number.isFinite(x)) continue;
    const y = s.value[i]!;
    const lo = s.min[i]!;
    const hi = s.max[i]!;
    pts.push({ step, bucket: Math.floor(step / width), x, y, lo: Number.isNaN(lo) ? y : lo, hi: Number.isNaN(hi) ? y : hi, nans: s.nan_count[i] ?? 0 });
  }
  if (mode !== "step") pts.sort((a, b) => a.x - b.x || a.step - b.step);
  return { runId: s.run_id, width, sampled, pts };
}

/** What a marker flags at x: NaN points in the bucket, or a +inf / -inf value (line, min or max). */
export type MarkerKind = "nan" | "inf" | "-inf";

export interface Marker {
  x: number;
  kind: MarkerKind;
  /** Index of the drawn line (its color). */
  line: number;
}

/** Markers for the values a line cannot show: NaN anywhere in a bucket and ±inf (the line has a gap there). */
export function markersOf(points: Pt[], line: number): Marker[] {
  const out: Marker[] = [];
  for (const p of points) {
    if (p.nans > 0 || Number.isNaN(p.y)) out.push({ x: p.x, kind: "nan", line });
    if (p.y === Infinity || p.hi === Infinity) out.push({ x: p.x, kind: "inf", line });
    if (p.y === -Infinity || p.lo === -Infinity) out.push({ x: p.x, kind: "-inf", line });
  }
  return out;
}

export type BandKind = "std" | "minmax";

export interface GroupLine {
  x: number[];
  mean: number[];
  lo: number[];
  hi: number[];
  /** Runs contributing to each point. */
  n: number[];
}

/**
 * Aggregate the runs of one group bucket by bucket (the server's buckets are shared by every run of a
 * request, so bucket k of run A and run B cover the same steps). x is the mean x of the members; the band
 * is mean ± standard deviation (population) or the members' min/max. Non-finite values are left out.
 */
export function groupBand(runs: RunPoints[], kind: BandKind): GroupLine {
  const acc = new Map<number, { xs: number; n: number; sum: number; sq: number; min: number; max: number; cnt: number }>();
  for (const r of runs) {
    for (const p of r.pts) {
      let a = acc.get(p.bucket);
      if (!a) {
        a = { xs: 0, n: 0, sum: 0, sq: 0, min: Infinity, max: -Infinity, cnt: 0 };
        acc.set(p.bucket, a);
      }
      a.xs += p.x;
      a.cnt += 1;
      if (!Number.isFinite(p.y)) continue;
      a.n += 1;
      a.sum += p.y;
      a.sq += p.y * p.y;
      a.min = Math.min(a.min, p.y);
      a.max = Math.max(a.max, p.y);
    }
  }
  const out: GroupLine = { x: [], mean: [], lo: [], hi: [], n: [] };
  const rows = [...acc.values()].filter((a) => a.n > 0).map((a) => ({ ...a, x: a.xs / a.cnt }));
  rows.sort((a, b) => a.x - b.x);
  for (const a of rows) {
    const mean = a.sum / a.n;
    const std = Math.sqrt(Math.max(0, a.sq / a.n - mean * mean));
    out.x.push(a.x);
    out.mean.push(mean);
    out.lo.push(kind === "std" ? mean - std : a.min);
    out.hi.push(kind === "std" ? mean + std : a.max);
    out.n.push(a.n);
  }
  return out;
}

/** A line to draw: x, y and an optional band (lo/hi) around it. */
export interface Line {
  x: number[];
  y: number[];
  lo?: number[];
  hi?: number[];
}

export function linesFromRuns(runs: RunPoints[], withBands: boolean): Line[] {
  return runs.map((r) => ({
    x: r.pts.map((p) => p.x),
    y: r.pts.map((p) => p.y),
    ...(withBands && r.sampled ? { lo: r.pts.map((p) => p.lo), hi: r.pts.map((p) => p.hi) } : {}),
  }));
}

export function linesFromGroups(groups: GroupLine[]): Line[] {
  return groups.map((g) => ({ x: g.x, y: g.mean, lo: g.lo, hi: g.hi }));
}

export interface Aligned {
  /** uPlot data: x, then per line its y column followed (if it has a band) by lo and hi columns. */
  data: [number[], ...(number | null)[][]];
  /** For each line, the data index of its y column and, if any, of its lo/hi columns. */
  index: { y: number; lo?: number; hi?: number }[];
}

/**
 * Join lines on one sorted x (union); missing points are null. EMA smoothing applies to y only
 * (bands stay raw). Non-finite values become null (log scale: non-positive values too).
 */
export function alignLines(lines: Line[], smoothing: number, logY: boolean): Aligned {
  const xs = new Set<number>();
  for (const l of lines) for (const x of l.x) xs.add(x);
  const x = [...xs].sort((a, b) => a - b);
  const pos = new Map(x.map((v, i) => [v, i]));
  const ok = (v: number) => Number.isFinite(v) && (!logY || v > 0);
  const column = (l: Line, vals: number[]) => {
    const col = new Array<number | null>(x.length).fill(null);
    l.x.forEach((xv, i) => {
      const v = vals[i]!;
      col[pos.get(xv)!] = ok(v) ? v : null;
    });
    return col;
  };
  const data: [number[], ...(number | null)[][]] = [x];
  const index: Aligned["index"] = [];
  for (const l of lines) {
    let y = column(l, l.y);
    if (smoothing > 0) {
      const present = y.map((v, i) => [v, i] as const).filter((e): e is readonly [number, number] => e[0] !== null);
      const smoothed = ema(present.map(([v]) => v), smoothing);
      y = y.slice();
      present.forEach(([, i], k) => (y[i] = smoothed[k] ?? null));
    }
    const entry: Aligned["index"][number] = { y: data.length };
    data.push(y);
    if (l.lo && l.hi) {
      entry.lo = data.length;
      data.push(column(l, l.lo));
      entry.hi = data.length;
      data.push(column(l, l.hi));
    }
    index.push(entry);
  }
  return { data, index };
}

/** Group runs by the value of a "params.x" / "tags.y" column; runs without it form the "(none)" group. */
export function groupRuns<R>(runs: R[], valueOf: (r: R) => string | number | undefined): [string, R[]][] {
  const groups = new Map<string, R[]>();
  for (const r of runs) {
    const v = valueOf(r);
    const k = v === undefined || v === "" ? "(none)" : String(v);
    const l = groups.get(k);
    if (l) l.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a === "(none)" ? 1 : b === "(none)" ? -1 : a.localeCompare(b, undefined, { numeric: true })));
}
