// Parallel coordinates: one vertical axis per param/metric, one polyline per run.
// Numeric columns get a linear scale over the runs' values; other params are categorical
// (evenly spaced, sorted). A run without a value on an axis breaks its line there.
import { numeric } from "../compare/diff";

export interface Axis {
  key: string; // "params.lr", "metrics.loss"
  kind: "numeric" | "category";
  min: number;
  max: number;
  categories: string[];
  /** Tick labels with their position in [0, 1] (0 = bottom). */
  ticks: { at: number; label: string }[];
}

export type Value = string | number | undefined;

function fmt(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

export function buildAxis(key: string, values: Value[]): Axis | null {
  const present = values.filter((v): v is string | number => v !== undefined && v !== "");
  if (present.length === 0) return null;
  const nums = present.map((v) => numeric(v));
  if (nums.every((n) => n !== null)) {
    const ns = nums as number[];
    let min = Math.min(...ns);
    let max = Math.max(...ns);
    if (min === max) {
      min -= 0.5;
      max += 0.5;
    }
    const ticks = [0, 0.5, 1].map((at) => ({ at, label: fmt(min + (max - min) * at) }));
    return { key, kind: "numeric", min, max, categories: [], ticks };
  }
  const categories = [...new Set(present.map(String))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const at = (i: number) => (categories.length === 1 ? 0.5 : i / (categories.length - 1));
  return { key, kind: "category", min: 0, max: 1, categories, ticks: categories.map((c, i) => ({ at: at(i), label: c })) };
}

/** Position of a value on the axis in [0, 1], or null when it has none (or is not on this axis). */
export function position(axis: Axis, v: Value): number | null {
  if (v === undefined || v === "") return null;
  if (axis.kind === "numeric") {
    const n = numeric(v);
    return n === null ? null : (n - axis.min) / (axis.max - axis.min);
  }
  const i = axis.categories.indexOf(String(v));
  if (i < 0) return null;
  return axis.categories.length === 1 ? 0.5 : i / (axis.categories.length - 1);
}

/** SVG path "M x y L x y ..." through the run's axis positions; a missing value starts a new segment. */
export function polyline(positions: (number | null)[], xs: number[], top: number, height: number): string {
  let d = "";
  let pen = false;
  positions.forEach((p, i) => {
    if (p === null) {
      pen = false;
      return;
    }
    const y = top + (1 - p) * height;
    d += `${pen ? "L" : "M"}${xs[i]!.toFixed(1)} ${y.toFixed(1)} `;
    pen = true;
  });
  return d.trim();
}

/** Default axes: params that differ first, then metrics (at most `limit`). */
export function defaultAxes(keys: string[], limit = 8): string[] {
  const params = keys.filter((k) => k.startsWith("params."));
  const metrics = keys.filter((k) => k.startsWith("metrics."));
  return [...params.slice(0, Math.max(1, limit - Math.min(metrics.length, 3))), ...metrics].slice(0, limit);
}
