// The pieces the access pages (administration, account) share: a one-line form with its primary
// button and a permission grant row (actions run through ui/useAction).
import type { CSSProperties, ReactNode } from "react";
import { Button } from "../ui/kit";
import { LEVELS, type Level } from "./api";

/** A row of fields and a primary submit button; `onSubmit` gets the submit (the page does not reload). */
export function InlineForm({ submitLabel, onSubmit, children, style }: { submitLabel: string; onSubmit: () => void; children: ReactNode; style?: CSSProperties }) {
  return (
    <form
      className="tl-row"
      style={style}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      {children}
      <Button variant="primary" type="submit">
        {submitLabel}
      </Button>
    </form>
  );
}

export const cell = { padding: "4px 14px 4px 0" };

export function LevelSelect({ value, onChange, label }: { value: Level; onChange: (l: Level) => void; label: string }) {
  return (
    <select className="tl-input" aria-label={label} value={value} onChange={(e) => onChange(e.target.value as Level)}>
      {LEVELS.map((l) => (
        <option key={l}>{l}</option>
      ))}
    </select>
  );
}

/** One grant of an experiment permission, to a user or a group: who, the level (changeable), Revoke. */
export function GrantRow({ kind, name, permission, onChange, onRevoke }: { kind: "user" | "group"; name: string; permission: Level; onChange: (l: Level) => void; onRevoke: () => void }) {
  return (
    <tr data-testid={`perm-${kind}-${name}`}>
      <td style={cell}>
        {kind === "user" ? "👤" : "👥"} {name}
      </td>
      <td style={cell}>
        <LevelSelect label={kind === "user" ? `Permission of ${name}` : `Permission of group ${name}`} value={permission} onChange={onChange} />
      </td>
      <td style={cell}>
        <Button small variant="danger" onClick={onRevoke}>
          Revoke
        </Button>
      </td>
    </tr>
  );
}
