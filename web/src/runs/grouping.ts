// Grouping runs by a param or tag: stable order of groups and members, shared by the table and charts.
import type { Run } from "../api/types";
import { groupRuns } from "../charts/sampled";
import { buildDisplayRows, columnValue, type DisplayRow } from "./runData";

/** Runs reordered so each group's members are adjacent (groups in natural order, "(none)" last; members keep their order). */
export function sortByGroup(runs: Run[], group: string): Run[] {
  return groupRuns(runs, (r) => columnValue(r, group)).flatMap(([, members]) => members);
}

/** [value, count] per group, in display order. */
export function groupCounts(runs: Run[], group: string): [string, number][] {
  return groupRuns(runs, (r) => columnValue(r, group)).map(([v, members]) => [v, members.length]);
}

/** A group's header row in the runs table: click to collapse or expand its runs. */
export interface GroupHeaderRow {
  group: string;
  count: number;
  /** Position of the group (its chart color). */
  index: number;
  collapsed: boolean;
  runIds: string[];
}

export type TableRow = DisplayRow | GroupHeaderRow;

export function isGroupRow(row: TableRow): row is GroupHeaderRow {
  return "group" in row;
}

/** Table rows grouped by a column: per group a header, then (unless collapsed) its runs, nested as usual. */
export function groupedRows(runs: Run[], group: string, expanded: ReadonlySet<string>, collapsed: ReadonlySet<string>): TableRow[] {
  const out: TableRow[] = [];
  groupRuns(runs, (r) => columnValue(r, group)).forEach(([value, members], index) => {
    const shut = collapsed.has(value);
    out.push({ group: value, count: members.length, index, collapsed: shut, runIds: members.map((m) => m.info.run_id) });
    if (!shut) out.push(...buildDisplayRows(members, expanded));
  });
  return out;
}

/** Run ids a "select all" covers: the visible run rows and the runs of collapsed groups. */
export function selectableIds(rows: TableRow[]): string[] {
  return rows.flatMap((r) => (isGroupRow(r) ? (r.collapsed ? r.runIds : []) : [r.run.info.run_id]));
}
