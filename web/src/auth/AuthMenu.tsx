// Top-bar entries of a server running with --auth: who is signed in, tokens, access admin, sign out.
import { useState } from "react";
import { Button } from "../ui/kit";
import { authApi, type Session } from "./api";

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
      <a href="#/access">{session.user.is_admin ? "Admin" : "Permissions"}</a>
      {session.via === "session" ? (
        <Button small onClick={() => void signOut()} disabled={busy}>
          Sign out
        </Button>
      ) : null}
    </span>
  );
}
