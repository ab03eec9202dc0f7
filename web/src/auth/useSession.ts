import { useEffect, useState } from "react";
import { ApiError } from "../api/client";
import { authApi, type Session } from "./api";

/** The signed-in user; `null` while loading or when the server runs without --auth. Asked again when
 *  `version` changes (e.g. after creating an experiment, which makes its creator its manager). */
export function useSession(version = 0): Session | null {
  const [session, setSession] = useState<Session | null>(null);
  useEffect(() => {
    let live = true;
    authApi
      .session()
      .then((s) => live && setSession(s))
      .catch((e: unknown) => {
        if (!(e instanceof ApiError && e.status === 404)) console.warn("session lookup failed", e);
      });
    return () => {
      live = false;
    };
  }, [version]);
  return session;
}
