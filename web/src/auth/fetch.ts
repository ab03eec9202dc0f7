// Session-cookie plumbing for the whole UI, installed once at start-up (main.tsx):
// every same-origin write carries the CSRF token (the tracklog_csrf cookie's value in X-CSRF-Token),
// and a 401 from the server's API sends the browser to the sign-in page.

export const CSRF_COOKIE = "tracklog_csrf";
export const CSRF_HEADER = "X-CSRF-Token";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const API_PATH = /\/(ajax-api|api|get-artifact)(\/|$)/;

export function readCookie(name: string, cookies: string): string | null {
  for (const part of cookies.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

type FetchFn = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

export interface AuthFetchEnv {
  baseURI: () => string;
  origin: () => string;
  cookies: () => string;
  onUnauthenticated: () => void;
}

function urlOf(input: RequestInfo | URL, base: string): URL {
  if (typeof input === "string") return new URL(input, base);
  if (input instanceof URL) return input;
  return new URL(input.url, base);
}

/** Wrap `inner` so that same-origin writes carry the CSRF header and API 401s trigger `onUnauthenticated`. */
export function authFetch(inner: FetchFn, env: AuthFetchEnv): FetchFn {
  return async (input, init) => {
    const url = urlOf(input, env.baseURI());
    const sameOrigin = url.origin === env.origin();
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    let finalInit = init;
    if (sameOrigin && !SAFE_METHODS.has(method)) {
      const token = readCookie(CSRF_COOKIE, env.cookies());
      if (token) {
        const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
        headers.set(CSRF_HEADER, token);
        finalInit = { ...init, headers };
      }
    }
    const res = await inner(input, finalInit);
    if (sameOrigin && res.status === 401 && API_PATH.test(url.pathname)) env.onUnauthenticated();
    return res;
  };
}

/** The sign-in page, returning to this page afterwards: `next` is this path, query and `#/...` route
 *  (the fragment never reaches the server otherwise). The server accepts only a path on itself. */
export function signInUrl(here: Pick<Location, "pathname" | "search" | "hash"> = window.location, base: string = document.baseURI): string {
  const route = here.hash.startsWith("#/") ? here.hash : "";
  const next = here.pathname + here.search + route;
  return new URL(`signin?next=${encodeURIComponent(next)}`, base).toString();
}

let installed = false;

export function installAuthFetch(): void {
  if (installed || typeof window === "undefined") return;
  installed = true;
  let redirecting = false;
  const inner = window.fetch.bind(window);
  window.fetch = authFetch(inner, {
    baseURI: () => document.baseURI,
    origin: () => window.location.origin,
    cookies: () => document.cookie,
    onUnauthenticated: () => {
      if (redirecting) return;
      redirecting = true;
      window.location.assign(signInUrl());
    },
  });
}
