import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import type { SortSpec } from "../routing/urlState";
import { hrefFor } from "../routing/router";
import { formatDuration, formatTime, formatValue, StatusBadge } from "../ui/kit";
import { BASE_COLUMNS, CHECK_WIDTH, columnLabel, EXPERIMENT_WIDTH, EXTRA_WIDTH } from "./columns";
import { columnValue, duration, runName, type DisplayRow } from "./runData";

const ROW_H = 30;

export function RunsTable(props: {
  rows: DisplayRow[];
  columns: string[];
  /** When set (several experiments shown), an Experiment column names each run's experiment. */
  experimentNames?: Map<string, string>;
  sort: SortSpec | null;
  selected: ReadonlySet<string>;
  expanded: ReadonlySet<string>;
  onSort: (key: string) => void;
  onToggleSelect: (runIds: string[], on: boolean) => void;
  onToggleExpand: (runId: string) => void;
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
  const allSelected = rows.length > 0 && rows.every((r) => props.selected.has(r.run.info.run_id));

  const move = (to: number) => {
    const i = Math.max(0, Math.min(rows.length - 1, to));
    setActive(i);
    virtualizer.scrollToIndex(i, { align: "auto" });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if ((e.target as HTMLElement).tagName === "INPUT" && e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const row = rows[active];
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
          <input type="checkbox" aria-label="Select all runs" checked={allSelected} onChange={(e) => props.onToggleSelect(rows.map((r) => r.run.info.run_id), e.target.checked)} />
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
  open: (runId: string) => void;
  activate: (index: number) => void;
}

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
