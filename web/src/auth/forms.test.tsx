// @vitest-environment jsdom
import { act } from "react";
import { mountRootPerTest } from "../ui/testRoot";
import { describe, expect, it, vi } from "vitest";
import { GrantRow, InlineForm } from "./forms";

const mounted = mountRootPerTest();

describe("access page pieces", () => {
  it("InlineForm submits without reloading the page", async () => {
    const onSubmit = vi.fn();
    await act(async () =>
      mounted.root.render(
        <InlineForm submitLabel="Create user" onSubmit={onSubmit}>
          <input aria-label="name" />
        </InlineForm>,
      ),
    );
    const button = mounted.host.querySelector("button[type=submit]") as HTMLButtonElement;
    expect(button.textContent).toBe("Create user");
    const event = new Event("submit", { bubbles: true, cancelable: true });
    await act(async () => void mounted.host.querySelector("form")!.dispatchEvent(event));
    expect(onSubmit).toHaveBeenCalledTimes(1);
    expect(event.defaultPrevented).toBe(true);
  });

  it("GrantRow names a user or a group and reports changes and revokes", async () => {
    const onChange = vi.fn();
    const onRevoke = vi.fn();
    await act(async () =>
      mounted.root.render(
        <table>
          <tbody>
            <GrantRow kind="user" name="alice" permission="READ" onChange={onChange} onRevoke={onRevoke} />
            <GrantRow kind="group" name="team" permission="EDIT" onChange={() => {}} onRevoke={() => {}} />
          </tbody>
        </table>,
      ),
    );
    const alice = mounted.host.querySelector('[data-testid="perm-user-alice"]')!;
    expect(alice.textContent).toContain("👤 alice");
    expect(mounted.host.querySelector('[data-testid="perm-group-team"]')!.textContent).toContain("👥 team");
    expect((mounted.host.querySelector('select[aria-label="Permission of group team"]') as HTMLSelectElement).value).toBe("EDIT");
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
