// Grouping runs by a param or tag: stable order of groups and members, shared by the table and charts.
import type { Run } from "../api/types";
import { groupRuns } from "../charts/sampled";
import { columnValue } from "./runData";

/** Runs reordered so each group's members are adjacent (groups in natural order, "(none)" last; members keep their order). */
export function sortByGroup(runs: Run[], group: string): Run[] {
  return groupRuns(runs, (r) => columnValue(r, group)).flatMap(([, members]) => members);
}

/** [value, count] per group, in display order. */
export function groupCounts(runs: Run[], group: string): [string, number][] {
  return groupRuns(runs, (r) => columnValue(r, group)).map(([v, members]) => [v, members.length]);
}
