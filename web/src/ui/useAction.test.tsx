// @vitest-environment jsdom
import { act } from "react";
import { mountRootPerTest } from "./testRoot";
import { describe, expect, it, vi } from "vitest";
import { useAction } from "./useAction";

const mounted = mountRootPerTest();

describe("useAction", () => {
  it("reloads after success and keeps the error of a refusal", async () => {
    const reload = vi.fn();
    let api: ReturnType<typeof useAction> | null = null;
    function Probe() {
      api = useAction(reload);
      return <span data-testid="err">{api[0] ? String(api[0]) : ""}</span>;
    }
    await act(async () => mounted.root.render(<Probe />));
    let ok = false;
    await act(async () => void (ok = await api![1](async () => "done")));
    expect(ok).toBe(true);
    expect(reload).toHaveBeenCalledTimes(1);
    await act(async () => void (ok = await api![1](async () => Promise.reject(new Error("refused")))));
    expect(ok).toBe(false);
    expect(reload).toHaveBeenCalledTimes(1);
    expect(mounted.host.textContent).toBe("Error: refused");
  });

  it("is busy while the action runs", async () => {
    let api: ReturnType<typeof useAction> | null = null;
    function Probe() {
      api = useAction(() => {});
      return <span>{api[2] ? "busy" : "idle"}</span>;
    }
    await act(async () => mounted.root.render(<Probe />));
    let finish: () => void = () => {};
    let pending: Promise<boolean> | null = null;
    await act(async () => {
      pending = api![1](() => new Promise<void>((resolve) => (finish = resolve)));
    });
    expect(mounted.host.textContent).toBe("busy");
    await act(async () => {
      finish();
      await pending;
    });
    expect(mounted.host.textContent).toBe("idle");
  });
});
