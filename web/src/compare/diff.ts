// Param / metric difference table for compared runs.
import type { Run } from "../api/types";
import { toNumber } from "../runs/runData";

export interface DiffRow {
  kind: "params" | "metrics" | "tags";
  key: string;
  values: (string | number | undefined)[];
  differs: boolean;
}

function same(a: string | number | undefined, b: string | number | undefined): boolean {
  if (typeof a === "number" && typeof b === "number") return a === b || (Number.isNaN(a) && Number.isNaN(b));
  return a === b;
}

export function diffRows(runs: Run[], includeTags = false): DiffRow[] {
  const rows: DiffRow[] = [];
  const add = (kind: DiffRow["kind"], get: (r: Run) => Map<string, string | number>) => {
    const maps = runs.map(get);
    const keys = new Set<string>();
    maps.forEach((m) => m.forEach((_, k) => keys.add(k)));
    for (const key of [...keys].sort((a, b) => a.localeCompare(b))) {
      const values = maps.map((m) => m.get(key));
      const differs = values.some((v) => !same(v, values[0]));
      rows.push({ kind, key, values, differs });
    }
  };
  add("params", (r) => new Map((r.data.params ?? []).map((p) => [p.key, p.value])));
  add("metrics", (r) => new Map((r.data.metrics ?? []).map((m) => [m.key, toNumber(m.value)])));
  if (includeTags) add("tags", (r) => new Map((r.data.tags ?? []).filter((t) => !t.key.startsWith("mlflow.")).map((t) => [t.key, t.value])));
  return rows;
}

export function onlyDifferences(rows: DiffRow[], only: boolean): DiffRow[] {
  return only ? rows.filter((r) => r.differs) : rows;
}

/** A value as a number for the scatter plot (params are strings on the wire). */
export function numeric(v: string | number | undefined): number | null {
  if (v === undefined) return null;
  const n = typeof v === "number" ? v : v.trim() === "" ? NaN : Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Keys whose value is numeric in at least one run, as "params.x" / "metrics.y". */
export function numericKeys(rows: DiffRow[]): string[] {
  return rows.filter((r) => r.kind !== "tags" && r.values.some((v) => numeric(v) !== null)).map((r) => `${r.kind}.${r.key}`);
}
