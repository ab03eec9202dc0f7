import { useMemo, useState } from "react";
import { api } from "../api/client";
import type { Experiment } from "../api/types";
import { Button, Empty, ErrorBox, Loading, PromptDialog, TextInput } from "../ui/kit";
import { buildTree, experimentIdsUnder, filterTree, flattenTree, type TreeNode } from "./tree";

type Dialog = { kind: "create" } | { kind: "rename"; exp: Experiment } | { kind: "delete"; exp: Experiment };

export function ExperimentSidebar(props: {
  experiments: Experiment[] | null;
  error: unknown;
  selected: string[];
  onSelect: (ids: string[]) => void;
  onChanged: () => void;
}) {
  const [query, setQuery] = useState("");
  const [cursor, setCursor] = useState(0);
  const [collapsed, setCollapsed] = useState<Set<string>>(() => new Set());
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [dialogError, setDialogError] = useState<string | null>(null);

  const tree = useMemo(() => buildTree(props.experiments ?? []), [props.experiments]);
  const visible = useMemo(() => flattenTree(filterTree(tree, query), query ? new Set() : collapsed), [tree, query, collapsed]);
  const selected = new Set(props.selected);

  const toggleCollapsed = (path: string) =>
    setCollapsed((c) => {
      const n = new Set(c);
      if (n.has(path)) n.delete(path);
      else n.add(path);
      return n;
    });

  const toggleIds = (ids: string[], on: boolean) => {
    const next = new Set(props.selected);
    for (const id of ids) {
      if (on) next.add(id);
      else next.delete(id);
    }
    props.onSelect([...next]);
  };

  const runDialog = async (value: string) => {
    if (!dialog) return;
    try {
      if (dialog.kind === "create") {
        if (!value.trim()) throw new Error("The name must not be empty");
        const id = await api.createExperiment(value.trim());
        props.onSelect([id]);
      } else if (dialog.kind === "rename") {
        if (!value.trim()) throw new Error("The name must not be empty");
        await api.renameExperiment(dialog.exp.experiment_id, value.trim());
      } else {
        await api.deleteExperiment(dialog.exp.experiment_id);
        props.onSelect(props.selected.filter((id) => id !== dialog.exp.experiment_id));
      }
      setDialog(null);
      setDialogError(null);
      props.onChanged();
    } catch (e) {
      setDialogError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <aside className="tl-sidebar" aria-label="Experiment sidebar">
      <div className="tl-col" style={{ padding: 10, gap: 8 }}>
        <div className="tl-row">
          <strong>Experiments</strong>
          <span className="tl-spacer" />
          <Button small onClick={() => setDialog({ kind: "create" })}>
            + New
          </Button>
        </div>
        <TextInput type="search" placeholder="Search experiments" value={query} aria-label="Search experiments" onChange={(e) => setQuery(e.target.value)} />
      </div>
      <div
        className="tl-exp-tree"
        role="tree"
        aria-label="Experiments"
        aria-multiselectable="true"
        tabIndex={0}
        aria-activedescendant={visible.length ? `exp-node-${Math.min(cursor, visible.length - 1)}` : undefined}
        onKeyDown={(e) => {
          if ((e.target as HTMLElement) !== e.currentTarget) return;
          const cur = visible[Math.min(cursor, visible.length - 1)];
          if (!cur) return;
          const { node } = cur;
          const own = node.experiments[0];
          const expanded = query ? true : !collapsed.has(node.path);
          if (e.key === "ArrowDown") setCursor(Math.min(visible.length - 1, cursor + 1));
          else if (e.key === "ArrowUp") setCursor(Math.max(0, cursor - 1));
          else if (e.key === "Home") setCursor(0);
          else if (e.key === "End") setCursor(visible.length - 1);
          else if (e.key === "ArrowRight" && node.children.length && !expanded) toggleCollapsed(node.path);
          else if (e.key === "ArrowLeft" && node.children.length && expanded) toggleCollapsed(node.path);
          else if (e.key === "Enter") props.onSelect(own ? [own.experiment_id] : experimentIdsUnder(node));
          else if (e.key === " ") {
            const ids = experimentIdsUnder(node);
            toggleIds(ids, !ids.every((id) => selected.has(id)));
          } else return;
          e.preventDefault();
        }}
      >
        {props.error ? <ErrorBox error={props.error} title="Could not load experiments" /> : null}
        {!props.experiments && !props.error ? <Loading what="experiments" /> : null}
        {props.experiments && visible.length === 0 ? <Empty>{query ? "No experiment matches." : "No experiments yet."}</Empty> : null}
        {visible.map(({ node, depth }, i) => (
          <TreeRow
            key={node.path}
            id={`exp-node-${i}`}
            active={i === cursor}
            onActivate={() => setCursor(i)}
            node={node}
            depth={depth}
            expanded={query ? true : !collapsed.has(node.path)}
            selected={selected}
            onToggleCollapsed={() => toggleCollapsed(node.path)}
            onOnly={(ids) => props.onSelect(ids)}
            onToggle={toggleIds}
            onRename={(exp) => setDialog({ kind: "rename", exp })}
            onDelete={(exp) => setDialog({ kind: "delete", exp })}
          />
        ))}
      </div>
      {dialog ? (
        <PromptDialog
          title={dialog.kind === "create" ? "New experiment" : dialog.kind === "rename" ? `Rename “${dialog.exp.name}”` : `Delete “${dialog.exp.name}”?`}
          label={dialog.kind === "delete" ? undefined : "Name (use / for folders, e.g. project/feature/objective)"}
          initial={dialog.kind === "rename" ? dialog.exp.name : ""}
          confirmLabel={dialog.kind === "create" ? "Create" : dialog.kind === "rename" ? "Rename" : "Delete"}
          danger={dialog.kind === "delete"}
          error={dialogError}
          onConfirm={(v) => void runDialog(v)}
          onCancel={() => {
            setDialog(null);
            setDialogError(null);
          }}
        />
      ) : null}
    </aside>
  );
}

function TreeRow(props: {
  id: string;
  active: boolean;
  onActivate: () => void;
  node: TreeNode;
  depth: number;
  expanded: boolean;
  selected: Set<string>;
  onToggleCollapsed: () => void;
  onOnly: (ids: string[]) => void;
  onToggle: (ids: string[], on: boolean) => void;
  onRename: (e: Experiment) => void;
  onDelete: (e: Experiment) => void;
}) {
  const { node } = props;
  const ids = experimentIdsUnder(node);
  const own = node.experiments[0];
  const nSel = ids.filter((id) => props.selected.has(id)).length;
  const all = ids.length > 0 && nSel === ids.length;
  const some = nSel > 0 && !all;
  const isSelected = own ? props.selected.has(own.experiment_id) : false;
  return (
    <div
      id={props.id}
      className={`tl-tree-row${isSelected ? " selected" : ""}${props.active ? " active" : ""}`}
      onMouseDown={props.onActivate}
      role="treeitem"
      aria-level={props.depth + 1}
      aria-selected={isSelected}
      aria-expanded={node.children.length ? props.expanded : undefined}
      style={{ paddingLeft: 6 + props.depth * 14 }}
      title={own ? `${own.name} (id ${own.experiment_id})` : node.path}
    >
      {node.children.length ? (
        <button className="tl-caret" aria-label={props.expanded ? `Collapse ${node.path}` : `Expand ${node.path}`} onClick={props.onToggleCollapsed}>
          {props.expanded ? "▾" : "▸"}
        </button>
      ) : (
        <span className="tl-caret" />
      )}
      <input
        type="checkbox"
        aria-label={`Select ${node.path}`}
        checked={all}
        ref={(el) => {
          if (el) el.indeterminate = some;
        }}
        onChange={(e) => props.onToggle(ids, e.target.checked)}
      />
      <span
        className={`tl-tree-label${own ? "" : " folder"}`}
        onClick={() => (own ? props.onOnly([own.experiment_id]) : props.onToggleCollapsed())}
        onDoubleClick={() => props.onOnly(ids)}
      >
        {node.label}
      </span>
      {own ? (
        <span className="tl-tree-actions">
          <button className="tl-btn ghost small" aria-label={`Rename ${own.name}`} title="Rename" onClick={() => props.onRename(own)}>
            ✎
          </button>
          <button className="tl-btn ghost small" aria-label={`Delete ${own.name}`} title="Delete" onClick={() => props.onDelete(own)}>
            ✕
          </button>
        </span>
      ) : null}
    </div>
  );
}
