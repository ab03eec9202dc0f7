import { useEffect, useState } from "react";
import { makeHash, parseHash, type Route } from "./urlState";

export function useRoute(): Route {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const on = () => setHash(window.location.hash);
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return parseHash(hash);
}

/** Navigate by hash. `replace` avoids a history entry (used for typing in the filter, selection, ...). */
export function navigate(path: string[], query?: string | URLSearchParams, replace = false): void {
  const h = makeHash(path, query);
  if (h === window.location.hash) return;
  if (replace) {
    window.history.replaceState(null, "", h);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    window.location.hash = h;
  }
}

export function hrefFor(path: string[], query?: string | URLSearchParams): string {
  return makeHash(path, query);
}
