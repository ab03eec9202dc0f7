import type { SortSpec } from "../routing/urlState";
import { identifier, type ColumnKind } from "./runData";

export interface BaseColumn {
  id: string;
  label: string;
  width: number;
  /** The key stored in the URL sort; "duration" is sorted in the browser. */
  sortKey: string;
}

export const BASE_COLUMNS: BaseColumn[] = [
  { id: "name", label: "Run name", width: 280, sortKey: "attributes.run_name" },
  { id: "status", label: "Status", width: 100, sortKey: "attributes.status" },
  { id: "start", label: "Start time", width: 160, sortKey: "attributes.start_time" },
  { id: "duration", label: "Duration", width: 90, sortKey: "duration" },
  { id: "user", label: "User", width: 120, sortKey: "attributes.user_id" },
];

export const EXTRA_WIDTH = 140;
export const EXPERIMENT_WIDTH = 180;
export const CHECK_WIDTH = 34;

export const CLIENT_SORT_KEYS = new Set(["duration"]);

/** order_by list for runs/search; [] when the sort is done in the browser (or default). */
export function orderByFor(sort: SortSpec | null): string[] {
  if (!sort || CLIENT_SORT_KEYS.has(sort.key)) return [];
  const dir = sort.desc ? "DESC" : "ASC";
  const dot = sort.key.indexOf(".");
  const kind = sort.key.slice(0, dot);
  if (kind === "params" || kind === "metrics" || kind === "tags") {
    return [`${identifier(kind as ColumnKind, sort.key.slice(dot + 1))} ${dir}`];
  }
  return [`${sort.key} ${dir}`];
}

export function columnLabel(column: string): { kind: string; key: string } {
  const dot = column.indexOf(".");
  return { kind: column.slice(0, dot), key: column.slice(dot + 1) };
}
