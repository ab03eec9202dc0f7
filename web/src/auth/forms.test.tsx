// @vitest-environment jsdom
import { act } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { GrantRow, InlineForm } from "./forms";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root;
let host: HTMLDivElement;

beforeEach(() => {
  host = document.createElement("div");
  document.body.appendChild(host);
  root = createRoot(host);
});

afterEach(() => {
  act(() => root.unmount());
  host.remove();
});

describe("access page pieces", () => {
  it("InlineForm submits without reloading the page", async () => {
    const onSubmit = vi.fn();
    await act(async () =>
      root.render(
        <InlineForm submitLabel="Create user" onSubmit={onSubmit}>
          <input aria-label="name" />
        </InlineForm>,
      ),
    );
    const button = host.querySelector("button[type=submit]") as HTMLButtonElement;
    expect(button.textContent).toBe("Create user");
    const event = new Event("submit", { bubbles: true, cancelable: true });
    await act(async () => void host.querySelector("form")!.dispatchEvent(event));
    expect(onSubmit).toHaveBeenCalledTimes(1);
    expect(event.defaultPrevented).toBe(true);
  });

  it("GrantRow names a user or a group and reports changes and revokes", async () => {
    const onChange = vi.fn();
    const onRevoke = vi.fn();
    await act(async () =>
      root.render(
        <table>
          <tbody>
            <GrantRow kind="user" name="alice" permission="READ" onChange={onChange} onRevoke={onRevoke} />
            <GrantRow kind="group" name="team" permission="EDIT" onChange={() => {}} onRevoke={() => {}} />
          </tbody>
        </table>,
      ),
    );
    const alice = host.querySelector('[data-testid="perm-user-alice"]')!;
    expect(alice.textContent).toContain("👤 alice");
    expect(host.querySelector('[data-testid="perm-group-team"]')!.textContent).toContain("👥 team");
    expect((host.querySelector('select[aria-label="Permission of group team"]') as HTMLSelectElement).value).toBe("EDIT");
    const select = alice.querySelector('select[aria-label="Permission of alice"]') as HTMLSelectElement;
    await act(async () => {
      select.value = "MANAGE";
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
    expect(onChange).toHaveBeenCalledWith("MANAGE");
    await act(async () => (alice.querySelector("button") as HTMLButtonElement).click());
    expect(onRevoke).toHaveBeenCalledTimes(1);
  });
});
