import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import type { SortSpec } from "../routing/urlState";
import { hrefFor } from "../routing/router";
import { formatDuration, formatTime, formatValue, StatusBadge } from "../ui/kit";
import { BASE_COLUMNS, CHECK_WIDTH, columnLabel, EXPERIMENT_WIDTH, EXTRA_WIDTH } from "./columns";
import { colorFor } from "../ui/theme";
import { plural } from "../ui/plural";
import { isGroupRow, selectableIds, type GroupHeaderRow, type TableRow } from "./grouping";
import { columnValue, duration, runName, type DisplayRow } from "./runData";

const ROW_H = 30;

export function RunsTable(props: {
  /** Run rows, with group header rows when grouping (see grouping.groupedRows). */
  rows: TableRow[];
  columns: string[];
  /** When set (several experiments shown), an Experiment column names each run's experiment. */
  experimentNames?: Map<string, string>;
  sort: SortSpec | null;
  selected: ReadonlySet<string>;
  expanded: ReadonlySet<string>;
  onSort: (key: string) => void;
  onToggleSelect: (runIds: string[], on: boolean) => void;
  onToggleExpand: (runId: string) => void;
  /** Collapse or expand a group (header rows only). */
  onToggleGroup?: (group: string) => void;
  onRemoveColumn: (column: string) => void;
  onOpen: (runId: string) => void;
}) {
  const { rows } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  // initialRect: rows can paint in the first frame, before the grid has been measured
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_H, overscan: 12, initialRect: { width: 1200, height: 800 } });

  useEffect(() => {
    if (active >= rows.length && rows.length > 0) setActive(rows.length - 1);
  }, [rows.length, active]);

  const expWidth = props.experimentNames ? EXPERIMENT_WIDTH : 0;
  const template = [CHECK_WIDTH, ...BASE_COLUMNS.map((c) => c.width), ...(expWidth ? [expWidth] : []), ...props.columns.map(() => EXTRA_WIDTH)].map((w) => `${w}px`).join(" ");
  const totalWidth = CHECK_WIDTH + BASE_COLUMNS.reduce((a, c) => a + c.width, 0) + expWidth + props.columns.length * EXTRA_WIDTH;
  const allIds = useMemo(() => selectableIds(rows), [rows]);
  const allSelected = allIds.length > 0 && allIds.every((id) => props.selected.has(id));

  const move = (to: number) => {
    const i = Math.max(0, Math.min(rows.length - 1, to));
    setActive(i);
    virtualizer.scrollToIndex(i, { align: "auto" });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if ((e.target as HTMLElement).tagName === "INPUT" && e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const current = rows[active];
    if (current && isGroupRow(current)) {
      const group = current;
      const on = !group.runIds.every((id) => props.selected.has(id));
      const handled: Record<string, () => void> = {
        Enter: () => props.onToggleGroup?.(group.group),
        " ": () => props.onToggleSelect(group.runIds, on),
        ArrowRight: () => (group.collapsed ? props.onToggleGroup?.(group.group) : undefined),
        ArrowLeft: () => (group.collapsed ? undefined : props.onToggleGroup?.(group.group)),
      };
      const act = handled[e.key];
      if (act) {
        act();
        e.preventDefault();
        return;
      }
    }
    const row = current && !isGroupRow(current) ? current : undefined;
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 300) / ROW_H) - 1);
    switch (e.key) {
      case "ArrowDown": move(active + 1); break;
      case "ArrowUp": move(active - 1); break;
      case "PageDown": move(active + page); break;
      case "PageUp": move(active - page); break;
      case "Home": move(0); break;
      case "End": move(rows.length - 1); break;
      case "Enter": if (row) props.onOpen(row.run.info.run_id); break;
      case " ": if (row) props.onToggleSelect([row.run.info.run_id], !props.selected.has(row.run.info.run_id)); break;
      case "ArrowRight": if (row && row.childCount && !props.expanded.has(row.run.info.run_id)) props.onToggleExpand(row.run.info.run_id); break;
      case "ArrowLeft": if (row && props.expanded.has(row.run.info.run_id)) props.onToggleExpand(row.run.info.run_id); break;
      default: return;
    }
    e.preventDefault();
  };

  // Stable callbacks so memoized rows re-render only when their own data changes.
  const live = useRef(props);
  live.current = props;
  const actions = useMemo<RowActions>(
    () => ({
      toggleSelect: (id, on) => live.current.onToggleSelect([id], on),
      toggleExpand: (id) => live.current.onToggleExpand(id),
      toggleGroup: (g) => live.current.onToggleGroup?.(g),
      selectMany: (ids, on) => live.current.onToggleSelect(ids, on),
      open: (id) => live.current.onOpen(id),
      activate: (i) => setActive(i),
    }),
    [],
  );

  const sortMark = (key: string) => (props.sort?.key === key ? (props.sort.desc ? " ▼" : " ▲") : "");

  return (
    <div
      className="tl-grid"
      ref={scrollRef}
      role="grid"
      aria-label="Runs"
      aria-rowcount={rows.length + 1}
      aria-activedescendant={rows.length ? `run-row-${active}` : undefined}
      tabIndex={0}
      onKeyDown={onKeyDown}
    >
      <div className="tl-grid-head" role="row" style={{ gridTemplateColumns: template, width: totalWidth }}>
        <div className="tl-cell" role="columnheader">
          <input type="checkbox" aria-label="Select all runs" checked={allSelected} onChange={(e) => props.onToggleSelect(allIds, e.target.checked)} />
        </div>
        {BASE_COLUMNS.map((c) => (
          <div key={c.id} className="tl-cell" role="columnheader" aria-sort={props.sort?.key === c.sortKey ? (props.sort.desc ? "descending" : "ascending") : "none"}>
            <button className="tl-sort" onClick={() => props.onSort(c.sortKey)} title={c.sortKey === "duration" ? "Sorts the loaded runs in the browser" : "Sort on the server"}>
              {c.label}
              {sortMark(c.sortKey)}
            </button>
          </div>
        ))}
        {props.experimentNames ? (
          <div className="tl-cell" role="columnheader">
            <span className="tl-sort">Experiment</span>
          </div>
        ) : null}
        {props.columns.map((col) => {
          const { kind, key } = columnLabel(col);
          return (
            <div key={col} className="tl-cell" role="columnheader" title={col} aria-sort={props.sort?.key === col ? (props.sort.desc ? "descending" : "ascending") : "none"}>
              <button className="tl-sort" onClick={() => props.onSort(col)}>
                <span className="tl-kind">{kind}</span> {key}
                {sortMark(col)}
              </button>
              <button className="tl-btn ghost small tl-col-remove" aria-label={`Remove column ${col}`} onClick={() => props.onRemoveColumn(col)}>
                ×
              </button>
            </div>
          );
        })}
      </div>
      <div style={{ height: virtualizer.getTotalSize(), width: totalWidth, position: "relative" }}>
        {virtualizer.getVirtualItems().map((vi) => {
          const row = rows[vi.index]!;
          if (isGroupRow(row)) {
            return (
              <GroupRow
                key={`group:${row.group}`}
                row={row}
                index={vi.index}
                start={vi.start}
                width={totalWidth}
                isActive={vi.index === active}
                selectedCount={row.runIds.filter((id) => props.selected.has(id)).length}
                actions={actions}
              />
            );
          }
          const id = row.run.info.run_id;
          return (
            <RunRow
              key={id}
              row={row}
              index={vi.index}
              start={vi.start}
              template={template}
              columns={props.columns}
              isSelected={props.selected.has(id)}
              isActive={vi.index === active}
              isExpanded={props.expanded.has(id)}
              experimentName={props.experimentNames?.get(row.run.info.experiment_id) ?? (props.experimentNames ? row.run.info.experiment_id : undefined)}
              actions={actions}
            />
          );
        })}
      </div>
    </div>
  );
}

interface RowActions {
  toggleSelect: (runId: string, on: boolean) => void;
  toggleExpand: (runId: string) => void;
  toggleGroup: (group: string) => void;
  selectMany: (runIds: string[], on: boolean) => void;
  open: (runId: string) => void;
  activate: (index: number) => void;
}

/** A group's header: caret (collapse/expand), a box that ticks the group's runs, the value and its size. */
const GroupRow = memo(function GroupRow(props: {
  row: GroupHeaderRow;
  index: number;
  start: number;
  width: number;
  isActive: boolean;
  selectedCount: number;
  actions: RowActions;
}) {
  const { row, actions } = props;
  const all = props.selectedCount === row.count;
  return (
    <div
      id={`run-row-${props.index}`}
      className={`tl-grid-row tl-group-row${props.isActive ? " active" : ""}`}
      role="row"
      aria-expanded={!row.collapsed}
      aria-rowindex={props.index + 2}
      data-group={row.group}
      style={{ transform: `translateY(${props.start}px)`, height: ROW_H, width: props.width, display: "flex", alignItems: "center" }}
      onMouseDown={() => actions.activate(props.index)}
    >
      <div className="tl-cell" role="gridcell" style={{ width: CHECK_WIDTH, flex: "none" }}>
        <input
          type="checkbox"
          aria-label={`Select the ${plural(row.count, "run")} of group ${row.group}`}
          checked={all}
          ref={(el) => {
            if (el) el.indeterminate = props.selectedCount > 0 && !all;
          }}
          onChange={(e) => actions.selectMany(row.runIds, e.target.checked)}
        />
      </div>
      <div className="tl-cell" role="gridcell" style={{ flex: "1 1 auto" }}>
        <button className="tl-caret" aria-label={row.collapsed ? `Expand group ${row.group}` : `Collapse group ${row.group}`} onClick={() => actions.toggleGroup(row.group)}>
          {row.collapsed ? "▸" : "▾"}
        </button>
        <span style={{ color: colorFor(row.index) }}>■ </span>
        <strong>{row.group}</strong>
        <span className="tl-muted">
          {" "}
          ({plural(row.count, "run")}
          {props.selectedCount ? `, ${props.selectedCount} selected` : ""})
        </span>
      </div>
    </div>
  );
});

const RunRow = memo(function RunRow(props: {
  row: DisplayRow;
  index: number;
  start: number;
  template: string;
  columns: string[];
  isSelected: boolean;
  isActive: boolean;
  isExpanded: boolean;
  experimentName: string | undefined;
  actions: RowActions;
}) {
  const { row, actions } = props;
  const r = row.run;
  const id = r.info.run_id;
  const name = runName(r);
  return (
    <div
      id={`run-row-${props.index}`}
      className={`tl-grid-row${props.isSelected ? " selected" : ""}${props.isActive ? " active" : ""}`}
      role="row"
      aria-selected={props.isSelected}
      aria-rowindex={props.index + 2}
      data-run-id={id}
      style={{ gridTemplateColumns: props.template, transform: `translateY(${props.start}px)`, height: ROW_H }}
      onMouseDown={() => actions.activate(props.index)}
      onDoubleClick={() => actions.open(id)}
    >
      <div className="tl-cell" role="gridcell">
        <input type="checkbox" aria-label={`Select run ${name}`} checked={props.isSelected} onChange={(e) => actions.toggleSelect(id, e.target.checked)} />
      </div>
      <div className="tl-cell" role="gridcell" style={{ paddingLeft: 6 + row.depth * 16 }}>
        {row.childCount ? (
          <button className="tl-caret" aria-label={props.isExpanded ? "Collapse child runs" : `Expand ${row.childCount} child ${row.childCount === 1 ? "run" : "runs"}`} onClick={() => actions.toggleExpand(id)}>
            {props.isExpanded ? "▾" : "▸"}
          </button>
        ) : (
          <span className="tl-caret" />
        )}
        <a className="tl-run-link" href={hrefFor(["runs", id])} title={name}>
          {name}
        </a>
        {row.childCount ? <span className="tl-muted"> ({row.childCount})</span> : null}
      </div>
      <div className="tl-cell" role="gridcell">
        <StatusBadge status={r.info.status} />
      </div>
      <div className="tl-cell" role="gridcell">{formatTime(r.info.start_time)}</div>
      <div className="tl-cell" role="gridcell">{formatDuration(duration(r))}</div>
      <div className="tl-cell" role="gridcell">{r.info.user_id ?? ""}</div>
      {props.experimentName !== undefined ? (
        <div className="tl-cell" role="gridcell" title={props.experimentName}>
          {props.experimentName}
        </div>
      ) : null}
      {props.columns.map((col) => {
        const v = columnValue(r, col);
        return (
          <div key={col} className={`tl-cell${typeof v === "number" ? " num" : ""}`} role="gridcell" title={v === undefined ? "" : String(v)}>
            {formatValue(v)}
          </div>
        );
      })}
    </div>
  );
});
