// Top-bar entries of a server running with --auth: who is signed in, tokens, access admin, sign out.
import { useState } from "react";
import { Button } from "../ui/kit";
import { authApi, managesAny, type Session } from "./api";

export function AuthMenu({ session }: { session: Session | null }) {
  const [busy, setBusy] = useState(false);
  if (!session) return null;
  const signOut = async () => {
    setBusy(true);
    try {
      await authApi.signOut();
    } finally {
      window.location.assign(new URL("signin", document.baseURI).toString());
    }
  };
  return (
    <span className="tl-row" data-testid="auth-menu">
      <span className="tl-muted" data-testid="signed-in-user">
        {session.user.username}
        {session.user.is_admin ? " (admin)" : ""}
      </span>
      <a href="#/account">Tokens</a>
      {/* Permissions only for users who manage an experiment (the server refuses the others anyway) */}
      {session.user.is_admin ? <a href="#/access">Admin</a> : managesAny(session) ? <a href="#/access">Permissions</a> : null}
      {session.via === "session" ? (
        <Button small onClick={() => void signOut()} disabled={busy}>
          Sign out
        </Button>
      ) : null}
    </span>
  );
}
