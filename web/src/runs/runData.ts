// Pure helpers over Run objects: field access, nesting, keys seen, sort keys.
import { TAG, type Run, type WireDouble } from "../api/types";

export type ColumnKind = "params" | "metrics" | "tags";

export function toNumber(v: WireDouble): number {
  if (typeof v === "number") return v;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  return NaN;
}

export function tagOf(run: Run, key: string): string | undefined {
  return run.data.tags?.find((t) => t.key === key)?.value;
}

export function runName(run: Run): string {
  return run.info.run_name || tagOf(run, TAG.runName) || run.info.run_id;
}

export function parentOf(run: Run): string | undefined {
  return tagOf(run, TAG.parent) || undefined;
}

export function duration(run: Run, now = Date.now()): number | undefined {
  if (!run.info.start_time) return undefined;
  const end = run.info.end_time ?? (run.info.status === "RUNNING" ? now : undefined);
  return end === undefined ? undefined : end - run.info.start_time;
}

/** Value of a "params.x" / "metrics.x" / "tags.x" column. */
export function columnValue(run: Run, column: string): number | string | undefined {
  const dot = column.indexOf(".");
  const kind = column.slice(0, dot);
  const key = column.slice(dot + 1);
  if (kind === "metrics") {
    const m = run.data.metrics?.find((x) => x.key === key);
    return m ? toNumber(m.value) : undefined;
  }
  if (kind === "params") return run.data.params?.find((x) => x.key === key)?.value;
  if (kind === "tags") return tagOf(run, key);
  return undefined;
}

export interface KeysSeen {
  params: string[];
  metrics: string[];
  tags: string[];
}

export function keysSeen(runs: Run[]): KeysSeen {
  const p = new Set<string>();
  const m = new Set<string>();
  const t = new Set<string>();
  for (const r of runs) {
    r.data.params?.forEach((x) => p.add(x.key));
    r.data.metrics?.forEach((x) => m.add(x.key));
    r.data.tags?.forEach((x) => t.add(x.key));
  }
  const sort = (s: Set<string>) => [...s].sort((a, b) => a.localeCompare(b));
  // mlflow.* system tags go last.
  const tags = sort(t);
  return { params: sort(p), metrics: sort(m), tags: [...tags.filter((k) => !k.startsWith("mlflow.")), ...tags.filter((k) => k.startsWith("mlflow."))] };
}

/** Quote a key for the search language / order_by when it is not a plain identifier. */
export function quoteKey(key: string): string {
  return /^[A-Za-z_][\w.]*$/.test(key) ? key : `\`${key}\``;
}

export function identifier(kind: ColumnKind, key: string): string {
  return `${kind}.${quoteKey(key)}`;
}

export interface DisplayRow {
  run: Run;
  depth: number;
  childCount: number;
}

/**
 * Rows in display order: runs whose parent is not loaded are top level, in the given order;
 * children follow an expanded parent (recursively), in the same relative order.
 */
export function buildDisplayRows(runs: Run[], expanded: ReadonlySet<string>): DisplayRow[] {
  const ids = new Set(runs.map((r) => r.info.run_id));
  const children = new Map<string, Run[]>();
  const top: Run[] = [];
  for (const r of runs) {
    const p = parentOf(r);
    if (p && p !== r.info.run_id && ids.has(p)) {
      const list = children.get(p);
      if (list) list.push(r);
      else children.set(p, [r]);
    } else top.push(r);
  }
  const out: DisplayRow[] = [];
  const seen = new Set<string>();
  const visit = (r: Run, depth: number) => {
    if (seen.has(r.info.run_id)) return; // cycles in parent tags
    seen.add(r.info.run_id);
    const kids = children.get(r.info.run_id) ?? [];
    out.push({ run: r, depth, childCount: kids.length });
    if (expanded.has(r.info.run_id)) kids.forEach((k) => visit(k, depth + 1));
  };
  top.forEach((r) => visit(r, 0));
  return out;
}
