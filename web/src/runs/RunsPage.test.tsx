// @vitest-environment jsdom
import { act } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_RUNS_STATE } from "../routing/urlState";
import { RunsPage } from "./RunsPage";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const run = (id: string, name: string, parent?: string) => ({
  info: { run_id: id, run_name: name, experiment_id: "1", status: "FINISHED", start_time: 1_700_000_000_000, end_time: 1_700_000_060_000 },
  data: { params: [{ key: "lr", value: "0.1" }], metrics: [{ key: "loss", value: 0.5, timestamp: 0 }], tags: parent ? [{ key: "mlflow.parentRunId", value: parent }] : [] },
});

let root: Root;
let host: HTMLDivElement;
const calls: { url: string; body: unknown }[] = [];

function serve(handler: (url: string, body: Record<string, unknown>) => { status: number; body: unknown }) {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init?: RequestInit) => {
      const body = init?.body ? (JSON.parse(String(init.body)) as Record<string, unknown>) : {};
      calls.push({ url, body });
      const r = handler(url, body);
      return new Response(JSON.stringify(r.body), { status: r.status });
    }),
  );
}

async function render(state = DEFAULT_RUNS_STATE) {
  await act(async () => root.render(<RunsPage state={state} experiments={[{ experiment_id: "1", name: "proj/feat/obj" }]} />));
  await act(async () => new Promise((r) => setTimeout(r, 20)));
}

beforeEach(() => {
  // jsdom has no layout: give the virtualized grid a viewport so it renders rows
  vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(600);
  vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(1200);
  calls.length = 0;
  host = document.createElement("div");
  document.body.appendChild(host);
  root = createRoot(host);
});

afterEach(() => {
  act(() => root.unmount());
  host.remove();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("RunsPage (mocked fetch)", () => {
  it("asks to pick experiments when none is selected", async () => {
    serve(() => ({ status: 200, body: {} }));
    await render();
    expect(host.textContent).toContain("Select one or more experiments");
    expect(calls).toHaveLength(0);
  });

  it("pages through runs/search and nests children", async () => {
    serve((_u, body) =>
      body.page_token
        ? { status: 200, body: { runs: [run("c", "child", "p")] } }
        : { status: 200, body: { runs: [run("p", "parent"), run("x", "<script>alert(1)</script>")], next_page_token: "t1" } },
    );
    await render({ ...DEFAULT_RUNS_STATE, experiments: ["1"], sort: { key: "metrics.val loss", desc: true } });
    expect(calls).toHaveLength(2);
    expect(calls[0]!.body).toMatchObject({ experiment_ids: ["1"], max_results: 100, order_by: ["metrics.`val loss` DESC"] });
    expect(calls[1]!.body).toMatchObject({ max_results: 1000, page_token: "t1" });
    expect(host.querySelector("[data-testid=run-count]")!.textContent).toBe("3 runs");
    expect(host.textContent).toContain("parent");
    expect(host.textContent).not.toContain("child"); // collapsed under its parent
    expect(host.textContent).toContain("<script>alert(1)</script>"); // as text
    expect(host.querySelector("script")).toBeNull();
  });

  it("shows the server's filter error under the box", async () => {
    serve(() => ({ status: 400, body: { error_code: "INVALID_PARAMETER_VALUE", message: "Invalid filter 'params.lr = 1'" } }));
    await render({ ...DEFAULT_RUNS_STATE, experiments: ["1"], filter: "params.lr = 1" });
    const err = host.querySelector("[data-testid=filter-error]");
    expect(err?.textContent).toBe("Invalid filter 'params.lr = 1'");
    expect(host.querySelector("input[aria-label='Filter runs']")?.getAttribute("aria-invalid")).toBe("true");
  });

  it("refreshes quietly: rows stay until the new list arrives", async () => {
    let release: (() => void) | null = null;
    let n = 0;
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => {
        n++;
        if (n === 1) return new Response(JSON.stringify({ runs: [run("a", "first-run")] }), { status: 200 });
        await new Promise<void>((r) => (release = r));
        return new Response(JSON.stringify({ runs: [run("a", "first-run"), run("b", "second-run")] }), { status: 200 });
      }),
    );
    await render({ ...DEFAULT_RUNS_STATE, experiments: ["1"] });
    expect(host.textContent).toContain("first-run");
    const refresh = [...host.querySelectorAll("button")].find((b) => b.textContent?.includes("Refresh"))!;
    await act(async () => refresh.click());
    await act(async () => new Promise((r) => setTimeout(r, 20)));
    expect(n).toBe(2);
    expect(host.textContent).toContain("first-run"); // no "Loading runs" flash
    expect(host.textContent).not.toContain("Loading runs");
    await act(async () => {
      release!();
      await new Promise((r) => setTimeout(r, 20));
    });
    expect(host.textContent).toContain("second-run");
  });

  it("grouped: a header row per group collapses its runs", async () => {
    const withLr = (id: string, name: string, lr: string) => ({ ...run(id, name), data: { ...run(id, name).data, params: [{ key: "lr", value: lr }] } });
    serve(() => ({ status: 200, body: { runs: [withLr("a", "run-a", "0.1"), withLr("b", "run-b", "0.2"), withLr("c", "run-c", "0.1")] } }));
    await render({ ...DEFAULT_RUNS_STATE, experiments: ["1"], group: "params.lr" });
    const headers = [...host.querySelectorAll("[role=grid] [data-group]")].map((e) => e.getAttribute("data-group"));
    expect(headers).toEqual(["0.1", "0.2"]);
    expect(host.querySelector("[data-group='0.1']")!.textContent).toContain("(2 runs)");
    expect(host.querySelectorAll("[role=grid] [data-run-id]")).toHaveLength(3);
    const collapse = host.querySelector<HTMLButtonElement>("button[aria-label='Collapse group 0.1']")!;
    await act(async () => collapse.click());
    expect([...host.querySelectorAll("[role=grid] [data-run-id]")].map((e) => e.getAttribute("data-run-id"))).toEqual(["b"]);
    expect(host.querySelector("button[aria-label='Expand group 0.1']")).not.toBeNull();
  });
});
