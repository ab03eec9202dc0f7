import { useEffect, useRef, useState } from "react";
import { Button, TextInput } from "../ui/kit";
import { applyCompletion, complete, type Completion } from "./autocomplete";
import type { KeysSeen } from "./runData";

/** The search-language box: Enter applies; the server validates and its message shows below. */
export function FilterBox(props: { value: string; error: string | null; keys: KeysSeen; onApply: (filter: string) => void }) {
  const [text, setText] = useState(props.value);
  const [completion, setCompletion] = useState<Completion | null>(null);
  const [pick, setPick] = useState(0);
  const ref = useRef<HTMLInputElement>(null);

  useEffect(() => setText(props.value), [props.value]);

  const refresh = (t: string, cursor: number) => {
    setCompletion(complete(t, cursor, props.keys));
    setPick(0);
  };

  const accept = (s: string) => {
    if (!completion) return;
    const r = applyCompletion(text, completion, s);
    setText(r.text);
    setCompletion(null);
    requestAnimationFrame(() => ref.current?.setSelectionRange(r.cursor, r.cursor));
    ref.current?.focus();
  };

  return (
    <div className="tl-filter">
      <div className="tl-row" style={{ flexWrap: "nowrap" }}>
        <div style={{ position: "relative", flex: 1 }}>
          <TextInput
            ref={ref}
            style={{ width: "100%" }}
            className="mono"
            aria-label="Filter runs"
            placeholder="Filter: metrics.loss < 0.5 and params.lr = '0.01' and attributes.status = 'FINISHED'"
            spellCheck={false}
            invalid={Boolean(props.error)}
            aria-describedby={props.error ? "filter-error" : undefined}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              refresh(e.target.value, e.target.selectionStart ?? e.target.value.length);
            }}
            onBlur={() => setTimeout(() => setCompletion(null), 150)}
            onKeyDown={(e) => {
              if (completion) {
                if (e.key === "ArrowDown") { setPick((p) => (p + 1) % completion.suggestions.length); e.preventDefault(); return; }
                if (e.key === "ArrowUp") { setPick((p) => (p - 1 + completion.suggestions.length) % completion.suggestions.length); e.preventDefault(); return; }
                if (e.key === "Tab" || (e.key === "Enter" && completion.suggestions[pick])) { accept(completion.suggestions[pick]!); e.preventDefault(); return; }
                if (e.key === "Escape") { setCompletion(null); return; }
              }
              if (e.key === "Enter") props.onApply(text.trim());
            }}
          />
          {completion ? (
            <div className="tl-popover" role="listbox" aria-label="Suggestions" style={{ left: 0, top: "100%", minWidth: 260 }}>
              {completion.suggestions.map((s, i) => (
                <div key={s} role="option" aria-selected={i === pick} className="tl-menu-item mono" onMouseDown={(e) => { e.preventDefault(); accept(s); }}>
                  {s}
                </div>
              ))}
            </div>
          ) : null}
        </div>
        <Button onClick={() => props.onApply(text.trim())}>Search</Button>
        {props.value ? (
          <Button onClick={() => { setText(""); props.onApply(""); }}>Clear</Button>
        ) : null}
      </div>
      {props.error ? (
        <div id="filter-error" className="tl-field-error" role="alert" data-testid="filter-error">
          {props.error}
        </div>
      ) : null}
    </div>
  );
}
