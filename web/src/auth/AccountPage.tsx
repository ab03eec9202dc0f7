// The signed-in user's personal access tokens: list, create (the secret is shown once), revoke.
import { useCallback, useEffect, useState } from "react";
import { Button, ErrorBox, TextInput, formatTime } from "../ui/kit";
import { authApi, type Session, type TokenInfo } from "./api";
import { useAction } from "../ui/useAction";
import { InlineForm } from "./forms";

export function AccountPage({ session }: { session: Session | null }) {
  const [tokens, setTokens] = useState<TokenInfo[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [name, setName] = useState("");
  const [days, setDays] = useState("90");
  const [secret, setSecret] = useState<string | null>(null);

  const reload = useCallback(() => {
    authApi.listTokens().then((t) => {
      setTokens(t);
      setLoadError(null);
    }, setLoadError);
  }, []);
  useEffect(reload, [reload]);

  const [actionError, run] = useAction(reload);
  const create = () =>
    run(async () => {
      const r = await authApi.createToken(name.trim(), days.trim() ? Number(days) : null);
      setSecret(r.token);
      setName("");
    });
  const revoke = (id: number) => run(() => authApi.revokeToken(id));

  return (
    <div className="tl-page" data-testid="account-page">
      <h1>Access tokens{session ? ` of ${session.user.username}` : ""}</h1>
      <p className="tl-muted">
        Use a token as <code>MLFLOW_TRACKING_TOKEN</code> (sent as <code>Authorization: Bearer …</code>). Only its hash is stored: copy it now, it is shown once.
      </p>
      {actionError || loadError ? <ErrorBox error={actionError || loadError} /> : null}
      {secret ? (
        <div className="tl-col" data-testid="new-token" style={{ margin: "12px 0" }}>
          <strong>Your new token (shown once):</strong>
          <code style={{ userSelect: "all", wordBreak: "break-all" }} data-testid="token-secret">
            {secret}
          </code>
          <span>
            <Button small onClick={() => setSecret(null)}>
              I have copied it
            </Button>
          </span>
        </div>
      ) : null}
      <InlineForm submitLabel="Create token" onSubmit={() => void create()}>
        <label className="tl-col">
          <span className="tl-muted">Name</span>
          <TextInput aria-label="Token name" value={name} onChange={(e) => setName(e.target.value)} placeholder="laptop, CI…" />
        </label>
        <label className="tl-col">
          <span className="tl-muted">Expires in days (empty: never)</span>
          <TextInput aria-label="Expires in days" value={days} onChange={(e) => setDays(e.target.value)} inputMode="numeric" />
        </label>
      </InlineForm>
      <table className="tl-table" data-testid="token-table" style={{ marginTop: 16, borderCollapse: "collapse" }}>
        <thead>
          <tr>
            <th align="left">Name</th>
            <th align="left">Created</th>
            <th align="left">Expires</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(tokens ?? []).map((t) => (
            <tr key={t.id} data-testid="token-row">
              <td style={{ paddingRight: 16 }}>{t.name || <span className="tl-muted">(unnamed)</span>}</td>
              <td style={{ paddingRight: 16 }}>{formatTime(t.creation_time)}</td>
              <td style={{ paddingRight: 16 }}>{t.expiration_time ? formatTime(t.expiration_time) : "never"}</td>
              <td>
                <Button small variant="danger" onClick={() => void revoke(t.id)} aria-label={`Revoke ${t.name}`}>
                  Revoke
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {tokens && tokens.length === 0 ? <p className="tl-muted">No tokens yet.</p> : null}
    </div>
  );
}
