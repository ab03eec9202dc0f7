import { useState } from "react";
import { api } from "../api/client";
import type { KeyValue } from "../api/types";
import { Button, ErrorBox, TextInput } from "../ui/kit";
import { useAction } from "../ui/useAction";

/** Run tags with set / delete through runs/set-tag and runs/delete-tag. */
export function TagsEditor({ runId, tags, onChanged }: { runId: string; tags: KeyValue[]; onChanged: () => void }) {
  const [showSystem, setShowSystem] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState("");
  const [newKey, setNewKey] = useState("");
  const [newValue, setNewValue] = useState("");
  const [error, act, busy] = useAction(onChanged);

  const user = tags.filter((t) => !t.key.startsWith("mlflow.")).sort((a, b) => a.key.localeCompare(b.key));
  const system = tags.filter((t) => t.key.startsWith("mlflow.")).sort((a, b) => a.key.localeCompare(b.key));
  const shown = showSystem ? [...user, ...system] : user;

  return (
    <div className="tl-col">
      <table className="tl-kv" aria-label="Tags">
        <thead>
          <tr>
            <th style={{ width: "30%" }}>key</th>
            <th>value</th>
            <th style={{ width: 130 }} />
          </tr>
        </thead>
        <tbody>
          {shown.map((t) => (
            <tr key={t.key}>
              <td className="mono">{t.key}</td>
              <td className="mono">
                {editing === t.key ? (
                  <TextInput
                    value={draft}
                    autoFocus
                    aria-label={`New value for ${t.key}`}
                    style={{ width: "100%" }}
                    onChange={(e) => setDraft(e.target.value)}
                    onKeyDown={(e) => {
                      if (e.key === "Enter") void act(() => api.setTag(runId, t.key, draft)).then((ok) => ok && setEditing(null));
                      if (e.key === "Escape") setEditing(null);
                    }}
                  />
                ) : (
                  t.value
                )}
              </td>
              <td>
                {editing === t.key ? (
                  <Button small disabled={busy} onClick={() => void act(() => api.setTag(runId, t.key, draft)).then((ok) => ok && setEditing(null))}>
                    Save
                  </Button>
                ) : (
                  <Button small aria-label={`Edit tag ${t.key}`} onClick={() => { setEditing(t.key); setDraft(t.value); }}>
                    Edit
                  </Button>
                )}{" "}
                <Button small variant="danger" disabled={busy} aria-label={`Delete tag ${t.key}`} onClick={() => void act(() => api.deleteTag(runId, t.key))}>
                  Delete
                </Button>
              </td>
            </tr>
          ))}
          {shown.length === 0 ? (
            <tr>
              <td colSpan={3} className="tl-muted">No tags.</td>
            </tr>
          ) : null}
        </tbody>
      </table>
      <form
        className="tl-row"
        onSubmit={(e) => {
          e.preventDefault();
          if (!newKey.trim()) return;
          void act(() => api.setTag(runId, newKey.trim(), newValue)).then((ok) => {
            if (ok) {
              setNewKey("");
              setNewValue("");
            }
          });
        }}
      >
        <TextInput placeholder="key" aria-label="New tag key" value={newKey} onChange={(e) => setNewKey(e.target.value)} />
        <TextInput placeholder="value" aria-label="New tag value" value={newValue} onChange={(e) => setNewValue(e.target.value)} />
        <button className="tl-btn" type="submit" disabled={busy || !newKey.trim()}>
          Add tag
        </button>
        {system.length ? (
          <label className="tl-row" style={{ gap: 4 }}>
            <input type="checkbox" checked={showSystem} onChange={(e) => setShowSystem(e.target.checked)} /> show {system.length} system tags
          </label>
        ) : null}
      </form>
      {error ? <ErrorBox error={error} title="Tag update failed" /> : null}
    </div>
  );
}
