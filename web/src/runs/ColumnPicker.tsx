import { useEffect, useRef, useState } from "react";
import { Button, TextInput } from "../ui/kit";
import type { KeysSeen } from "./runData";

export function ColumnPicker(props: { keys: KeysSeen; columns: string[]; onChange: (columns: string[]) => void }) {
  const [open, setOpen] = useState(false);
  const [q, setQ] = useState("");
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", close);
    return () => document.removeEventListener("mousedown", close);
  }, [open]);

  const chosen = new Set(props.columns);
  const toggle = (col: string) => props.onChange(chosen.has(col) ? props.columns.filter((c) => c !== col) : [...props.columns, col]);
  const groups: [string, string[]][] = [
    ["metrics", props.keys.metrics],
    ["params", props.keys.params],
    ["tags", props.keys.tags],
  ];
  const ql = q.toLowerCase();
  return (
    <div ref={box} style={{ position: "relative" }}>
      <Button onClick={() => setOpen((o) => !o)} aria-expanded={open}>
        Columns{props.columns.length ? ` (${props.columns.length})` : ""} ▾
      </Button>
      {open ? (
        <div className="tl-popover" style={{ right: 0, top: "110%", width: 320 }} role="dialog" aria-label="Choose columns">
          <TextInput type="search" placeholder="Search keys" aria-label="Search keys" value={q} onChange={(e) => setQ(e.target.value)} style={{ width: "100%", marginBottom: 6 }} autoFocus />
          {groups.map(([kind, keys]) => {
            const shown = keys.filter((k) => k.toLowerCase().includes(ql));
            return (
              <div key={kind}>
                <div className="tl-muted" style={{ fontSize: 12, margin: "6px 4px 2px" }}>
                  {kind} ({keys.length})
                </div>
                {shown.length === 0 ? <div className="tl-muted" style={{ padding: "0 8px", fontSize: 12 }}>none</div> : null}
                {shown.slice(0, 200).map((k) => {
                  const col = `${kind}.${k}`;
                  return (
                    <label key={col} className="tl-menu-item" style={{ display: "flex", gap: 6 }}>
                      <input type="checkbox" checked={chosen.has(col)} onChange={() => toggle(col)} />
                      <span style={{ overflow: "hidden", textOverflow: "ellipsis" }}>{k}</span>
                    </label>
                  );
                })}
              </div>
            );
          })}
          {props.columns.length ? (
            <div style={{ marginTop: 6 }}>
              <Button small onClick={() => props.onChange([])}>
                Remove all
              </Button>
            </div>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
