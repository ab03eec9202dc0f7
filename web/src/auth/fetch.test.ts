import { describe, expect, it, vi } from "vitest";
import { authFetch, readCookie, signInUrl } from "./fetch";

const env = (cookies: string, onUnauthenticated = () => {}) => ({
  baseURI: () => "https://t.example/ui/",
  origin: () => "https://t.example",
  cookies: () => cookies,
  onUnauthenticated,
});

describe("authFetch", () => {
  it("reads cookies by exact name", () => {
    expect(readCookie("tracklog_csrf", "a=1; tracklog_csrf=abc%3D; x_tracklog_csrf=no")).toBe("abc=");
    expect(readCookie("tracklog_csrf", "other=1")).toBeNull();
  });

  it("adds the CSRF header to same-origin writes only", async () => {
    const inner = vi.fn(async () => new Response("{}", { status: 200 }));
    const f = authFetch(inner, env("tracklog_csrf=tok"));
    await f("ajax-api/2.0/mlflow/runs/create", { method: "POST", headers: { "Content-Type": "application/json" } });
    await f("ajax-api/2.0/mlflow/runs/get", { method: "GET" });
    await f("https://elsewhere.example/x", { method: "POST" });
    const calls = inner.mock.calls as unknown as [string, RequestInit | undefined][];
    const h0 = new Headers(calls[0]![1]!.headers);
    expect(h0.get("X-CSRF-Token")).toBe("tok");
    expect(h0.get("Content-Type")).toBe("application/json");
    expect(new Headers(calls[1]![1]?.headers).get("X-CSRF-Token")).toBeNull();
    expect(new Headers(calls[2]![1]?.headers).get("X-CSRF-Token")).toBeNull();
  });

  it("sends the browser to sign in on an API 401", async () => {
    const onUnauth = vi.fn();
    const f = authFetch(async () => new Response("{}", { status: 401 }), env("", onUnauth));
    await f("ajax-api/2.0/mlflow/experiments/search");
    expect(onUnauth).toHaveBeenCalledTimes(1);
    await f("assets/x.js");
    expect(onUnauth).toHaveBeenCalledTimes(1);
  });

  it("returns to the page and its #/ route after sign-in", () => {
    const here = { pathname: "/ui/", search: "?x=1", hash: "#/runs/abc?tab=metrics" };
    const url = new URL(signInUrl(here, "https://t.example/ui/"));
    expect(url.origin + url.pathname).toBe("https://t.example/ui/signin");
    expect(url.searchParams.get("next")).toBe("/ui/?x=1#/runs/abc?tab=metrics");
    expect(url.hash).toBe("");
    expect(new URL(signInUrl({ pathname: "/", search: "", hash: "#top" }, "https://t.example/")).searchParams.get("next")).toBe("/");
  });
});
