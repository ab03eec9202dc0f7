import { describe, expect, it } from "vitest";
import type { Run } from "../api/types";
import { diffRows, numeric, numericKeys, onlyDifferences } from "./diff";

const run = (id: string, params: Record<string, string>, metrics: Record<string, number | "NaN">): Run => ({
  info: { run_id: id, experiment_id: "1", status: "FINISHED" },
  data: {
    params: Object.entries(params).map(([key, value]) => ({ key, value })),
    metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp: 0 })),
  },
});

describe("compare diff", () => {
  const runs = [run("a", { lr: "0.1", opt: "adam", seed: "1" }, { loss: 0.5, nan: "NaN" }), run("b", { lr: "0.2", opt: "adam" }, { loss: 0.5, nan: "NaN" })];
  const rows = diffRows(runs);

  it("marks differing and missing values", () => {
    const by = Object.fromEntries(rows.map((r) => [`${r.kind}.${r.key}`, r.differs]));
    expect(by).toEqual({ "params.lr": true, "params.opt": false, "params.seed": true, "metrics.loss": false, "metrics.nan": false });
  });

  it("filters to differences only", () => {
    expect(onlyDifferences(rows, true).map((r) => r.key)).toEqual(["lr", "seed"]);
    expect(onlyDifferences(rows, false)).toHaveLength(5);
  });

  it("finds numeric keys for the scatter", () => {
    expect(numeric("1e-3")).toBe(0.001);
    expect(numeric("adam")).toBeNull();
    expect(numeric("")).toBeNull();
    expect(numericKeys(rows)).toEqual(["params.lr", "params.seed", "metrics.loss"]);
  });
});
