// @vitest-environment jsdom
import { act } from "react";
import { createRoot } from "react-dom/client";
import { describe, expect, it } from "vitest";
import { canManage, inSet, managesAny, type Session } from "./api";
import { AuthMenu } from "./AuthMenu";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const session = (manages: Session["manages"], is_admin = false): Session => ({ user: { id: 2, username: "carol", is_admin }, via: "session", groups: [], manages });

async function links(s: Session): Promise<string[]> {
  const host = document.createElement("div");
  const root = createRoot(host);
  await act(async () => root.render(<AuthMenu session={s} />));
  const found = [...host.querySelectorAll("a")].map((a) => `${a.textContent} ${a.getAttribute("href")}`);
  act(() => root.unmount());
  return found;
}

describe("who sees the permissions page", () => {
  it("reads the server's experiment sets", () => {
    expect(inSet({ all: true }, "7")).toBe(true);
    expect(inSet({ all_but: ["7"] }, "7")).toBe(false);
    expect(inSet({ all_but: ["7"] }, "8")).toBe(true);
    expect(inSet({ only: ["7"] }, "7")).toBe(true);
    expect(inSet({ only: [] }, "7")).toBe(false);
    expect(inSet(undefined, "7")).toBe(false);
    expect(canManage(session({ only: ["1"] }), "1")).toBe(true);
    expect(canManage(session({ only: ["1"] }), "2")).toBe(false);
    expect(canManage(session({ only: [] }, true), "2")).toBe(true);
    expect(canManage(null, "1")).toBe(false);
    expect(managesAny(session({ only: [] }))).toBe(false);
    expect(managesAny(session(undefined))).toBe(false);
    expect(managesAny(session({ only: ["3"] }))).toBe(true);
    expect(managesAny(session({ all_but: ["3"] }))).toBe(true);
  });

  it("shows Permissions only to users who manage an experiment, Admin to admins", async () => {
    expect(await links(session({ only: [] }))).toEqual(["Tokens #/account"]);
    expect(await links(session({ only: ["4"] }))).toEqual(["Tokens #/account", "Permissions #/access"]);
    expect(await links(session({ only: [] }, true))).toEqual(["Tokens #/account", "Admin #/access"]);
  });
});
