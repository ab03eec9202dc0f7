// @vitest-environment jsdom
import { act } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { useAction } from "./useAction";

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

describe("useAction", () => {
  it("reloads after success and keeps the error of a refusal", async () => {
    const reload = vi.fn();
    let api: ReturnType<typeof useAction> | null = null;
    function Probe() {
      api = useAction(reload);
      return <span data-testid="err">{api[0] ? String(api[0]) : ""}</span>;
    }
    await act(async () => root.render(<Probe />));
    let ok = false;
    await act(async () => void (ok = await api![1](async () => "done")));
    expect(ok).toBe(true);
    expect(reload).toHaveBeenCalledTimes(1);
    await act(async () => void (ok = await api![1](async () => Promise.reject(new Error("refused")))));
    expect(ok).toBe(false);
    expect(reload).toHaveBeenCalledTimes(1);
    expect(host.textContent).toBe("Error: refused");
  });

  it("is busy while the action runs", async () => {
    let api: ReturnType<typeof useAction> | null = null;
    function Probe() {
      api = useAction(() => {});
      return <span>{api[2] ? "busy" : "idle"}</span>;
    }
    await act(async () => root.render(<Probe />));
    let finish: () => void = () => {};
    let pending: Promise<boolean> | null = null;
    await act(async () => {
      pending = api![1](() => new Promise<void>((resolve) => (finish = resolve)));
    });
    expect(host.textContent).toBe("busy");
    await act(async () => {
      finish();
      await pending;
    });
    expect(host.textContent).toBe("idle");
  });
});
