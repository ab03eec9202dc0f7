import { useEffect, useMemo, useState } from "react";
import type { Experiment, Run } from "../api/types";
import { ComparePanel, MetricCharts } from "../lazy";
import { navigate } from "../routing/router";
import { encodeRunsState, type RunsState, type RunsView } from "../routing/urlState";
import { Button, Empty, ErrorBox, Loading, Spinner, Tabs } from "../ui/kit";
import { plural } from "../ui/plural";
import { GroupBySelect, GroupSummary } from "./GroupBy";
import { groupedRows, isGroupRow, sortByGroup, type TableRow } from "./grouping";
import { ColumnPicker } from "./ColumnPicker";
import { CLIENT_SORT_KEYS, orderByFor } from "./columns";
import { FilterBox } from "./FilterBox";
import { buildDisplayRows, duration, keysSeen } from "./runData";
import { RunsTable } from "./RunsTable";
import { useRunSearch } from "./useRunSearch";

/** Charts show the selection, or this many runs from the top of the table when nothing is selected. */
const DEFAULT_CHART_RUNS = 10;
/** Refresh period of the runs list while any run is RUNNING. */
export const RUNS_REFRESH_MS = 15_000;
/** Lists longer than this are not auto-refreshed (use the Refresh button). */
export const AUTO_REFRESH_MAX_RUNS = 1000;

export function RunsPage({ state, experiments }: { state: RunsState; experiments: Experiment[] | null }) {
  const [refresh, setRefresh] = useState(0);
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set());
  const orderBy = useMemo(() => orderByFor(state.sort), [state.sort]);
  const search = useRunSearch(state.experiments, state.filter, orderBy, refresh);
  const keys = useMemo(() => keysSeen(search.runs), [search.runs]);
  const [live, setLive] = useState(true);
  // Auto-refresh only small lists: re-reading tens of thousands of runs every few seconds would load the server.
  const anyRunning = useMemo(() => search.runs.length <= AUTO_REFRESH_MAX_RUNS && search.runs.some((r) => r.info.status === "RUNNING"), [search.runs]);

  // While a loaded run is RUNNING, re-read the list quietly (rows stay, then swap).
  useEffect(() => {
    if (!live || !anyRunning || search.loading) return;
    const t = setTimeout(() => setRefresh((n) => n + 1), RUNS_REFRESH_MS);
    return () => clearTimeout(t);
  }, [live, anyRunning, search.loading, search.runs]);

  const update = (patch: Partial<RunsState>, replace = true) => navigate(["runs"], encodeRunsState({ ...state, ...patch }), replace);

  const sortedRuns = useMemo(() => {
    if (!state.sort || !CLIENT_SORT_KEYS.has(state.sort.key)) return search.runs;
    const dir = state.sort.desc ? -1 : 1;
    return [...search.runs].sort((a, b) => ((duration(a) ?? -1) - (duration(b) ?? -1)) * dir);
  }, [search.runs, state.sort]);
  // Grouped: members of a group sit together (the table's own order within each group).
  const groupedRuns = useMemo(() => (state.group ? sortByGroup(sortedRuns, state.group) : sortedRuns), [sortedRuns, state.group]);
  const [collapsed, setCollapsed] = useState<Set<string>>(() => new Set());
  useEffect(() => setCollapsed(new Set()), [state.group]);
  const rows: TableRow[] = useMemo(
    () => (state.group ? groupedRows(sortedRuns, state.group, expanded, collapsed) : buildDisplayRows(sortedRuns, expanded)),
    [sortedRuns, state.group, expanded, collapsed],
  );
  const selected = useMemo(() => new Set(state.selected), [state.selected]);
  const experimentNames = useMemo(
    () => (state.experiments.length > 1 ? new Map((experiments ?? []).map((e) => [e.experiment_id, e.name])) : undefined),
    [state.experiments.length, experiments],
  );
  const byId = useMemo(() => new Map(search.runs.map((r) => [r.info.run_id, r])), [search.runs]);

  const chartRuns: Run[] = useMemo(() => {
    const sel = state.selected.map((id) => byId.get(id)).filter((r): r is Run => Boolean(r));
    if (sel.length) return sel;
    const top: Run[] = [];
    for (const r of rows) if (!isGroupRow(r) && top.length < DEFAULT_CHART_RUNS) top.push(r.run);
    return top;
  }, [state.selected, byId, rows]);

  if (state.experiments.length === 0) {
    return <Empty>Select one or more experiments in the sidebar (tick several boxes to see their runs together).</Empty>;
  }

  const expNames = state.experiments.map((id) => experiments?.find((e) => e.experiment_id === id)?.name ?? id);

  const onSort = (key: string) => {
    const cur = state.sort;
    const next = cur?.key === key ? (cur.desc ? { key, desc: false } : null) : { key, desc: true };
    update({ sort: next }, false);
  };

  const toggleSelect = (ids: string[], on: boolean) => {
    const next = new Set(state.selected);
    ids.forEach((id) => (on ? next.add(id) : next.delete(id)));
    update({ selected: [...next] });
  };

  const views: { id: RunsView; label: string }[] = [
    { id: "table", label: "Table" },
    { id: "charts", label: `Charts${state.selected.length ? ` (${state.selected.length})` : ""}` },
    { id: "compare", label: `Compare${state.selected.length ? ` (${state.selected.length})` : ""}` },
  ];

  return (
    <div className="tl-runs-page">
      <div className="tl-col" style={{ padding: "10px 14px 8px" }}>
        <div className="tl-row">
          <h1 style={{ margin: 0 }} title={expNames.join(", ")}>
            {expNames.length === 1 ? expNames[0] : `${expNames.length} experiments`}
          </h1>
          <span className="tl-muted" data-testid="run-count">
            {search.ready ? `${search.runs.length}${search.loading ? "+" : ""} ${search.runs.length === 1 && !search.loading ? "run" : "runs"}${search.truncated ? " (first 50,000; narrow with a filter)" : ""}` : ""}
          </span>
          {search.loading ? <Spinner label="Loading more runs" /> : null}
        </div>
        <FilterBox value={state.filter} error={search.filterError} keys={keys} onApply={(f) => update({ filter: f }, false)} />
      </div>
      <div className="tl-row tl-tabbar" style={{ padding: "0 14px 0 0", flexWrap: "nowrap" }}>
        <Tabs tabs={views} value={state.view} onChange={(v) => update({ view: v }, false)} />
        <span className="tl-spacer" />
        <span className="tl-muted">{state.selected.length ? `${state.selected.length} selected` : ""}</span>
        {state.selected.length ? (
          <Button small onClick={() => update({ selected: [] })}>
            Clear selection
          </Button>
        ) : null}
        {anyRunning ? (
          <label className="tl-row" style={{ gap: 4 }} title={`Reload the runs every ${RUNS_REFRESH_MS / 1000} s while some are RUNNING`}>
            <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} /> auto-refresh
          </label>
        ) : null}
        <GroupBySelect keys={keys} value={state.group} onChange={(g) => update({ group: g }, false)} />
        <ColumnPicker keys={keys} columns={state.columns} onChange={(c) => update({ columns: c })} />
        <Button onClick={() => setRefresh((n) => n + 1)} title="Reload runs">
          ⟳ Refresh
        </Button>
      </div>
      {search.error ? <ErrorBox error={search.error} title="Could not load runs" /> : null}
      {!search.ready && !search.error ? <Loading what="runs" /> : null}
      {search.ready && state.group && state.view === "table" ? <GroupSummary runs={groupedRuns} group={state.group} /> : null}
      {search.ready && state.view === "table" ? (
        sortedRuns.length === 0 && !search.loading ? (
          <Empty>{state.filter || search.filterError ? "No run matches this filter." : "No runs in the selected experiments yet."}</Empty>
        ) : (
          <RunsTable
            rows={rows}
            columns={state.group && !state.columns.includes(state.group) ? [state.group, ...state.columns] : state.columns}
            experimentNames={experimentNames}
            sort={state.sort}
            selected={selected}
            expanded={expanded}
            onSort={onSort}
            onToggleSelect={toggleSelect}
            onToggleExpand={(id) =>
              setExpanded((s) => {
                const n = new Set(s);
                if (n.has(id)) n.delete(id);
                else n.add(id);
                return n;
              })
            }
            onToggleGroup={(g) =>
              setCollapsed((s) => {
                const n = new Set(s);
                if (n.has(g)) n.delete(g);
                else n.add(g);
                return n;
              })
            }
            onRemoveColumn={(c) => update({ columns: state.columns.filter((x) => x !== c) })}
            onOpen={(id) => navigate(["runs", id])}
          />
        )
      ) : null}
      {search.ready && state.view === "charts" ? (
        <div className="tl-page">
          {state.selected.length === 0 ? <p className="tl-muted">No runs selected: showing the first {plural(chartRuns.length, "run")} of the table. Tick runs to choose.</p> : null}
          <MetricCharts runs={chartRuns} groupBy={state.group} />
        </div>
      ) : null}
      {search.ready && state.view === "compare" ? (
        <div className="tl-page">
          <ComparePanel runs={state.selected.map((id) => byId.get(id)).filter((r): r is Run => Boolean(r))} />
        </div>
      ) : null}
    </div>
  );
}
