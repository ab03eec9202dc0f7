import { plural } from "../ui/plural";
import { colorFor } from "../ui/theme";
import type { Run } from "../api/types";
import { groupCounts } from "./grouping";
import type { KeysSeen } from "./runData";

/** Choose a param or tag to group runs by (charts then draw one mean line and band per group). */
export function GroupBySelect({ keys, value, onChange }: { keys: KeysSeen; value: string; onChange: (group: string) => void }) {
  const known = [...keys.params.map((k) => `params.${k}`), ...keys.tags.filter((k) => !k.startsWith("mlflow.")).map((k) => `tags.${k}`)];
  const options = value && !known.includes(value) ? [value, ...known] : known;
  return (
    <label className="tl-row" style={{ gap: 4 }}>
      group by
      <select className="tl-input" aria-label="Group runs by" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">(none)</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

/** One chip per group with its size, colored like the group's chart line. */
export function GroupSummary({ runs, group }: { runs: Run[]; group: string }) {
  const counts = groupCounts(runs, group);
  return (
    <div className="tl-row" style={{ padding: "4px 14px", flexWrap: "wrap", gap: 8 }} aria-label="Groups" data-testid="group-summary">
      <span className="tl-muted">
        {plural(counts.length, "group")} by {group}:
      </span>
      {counts.map(([v, n], i) => (
        <span key={v} className="tl-chip" title={`${group} = ${v}`}>
          <span style={{ color: colorFor(i) }}>■ </span>
          {v} <span className="tl-muted">({plural(n, "run")})</span>
        </span>
      ))}
    </div>
  );
}
