import { describe, expect, it } from "vitest";
import type { Run } from "../api/types";
import { buildDisplayRows, columnValue, keysSeen, quoteKey } from "./runData";

function run(id: string, parent?: string, extra: Partial<Run["data"]> = {}): Run {
  const tags = [...(extra.tags ?? [])];
  if (parent) tags.push({ key: "mlflow.parentRunId", value: parent });
  return { info: { run_id: id, experiment_id: "1", status: "FINISHED" }, data: { ...extra, tags } };
}

describe("nested runs", () => {
  const runs = [run("a"), run("b", "a"), run("c", "b"), run("d"), run("e", "missing"), run("f", "a")];

  it("collapses children by default", () => {
    expect(buildDisplayRows(runs, new Set()).map((r) => `${r.run.info.run_id}${r.childCount}`)).toEqual(["a2", "d0", "e0"]);
  });

  it("expands recursively in order", () => {
    const rows = buildDisplayRows(runs, new Set(["a", "b"]));
    expect(rows.map((r) => `${r.depth}:${r.run.info.run_id}`)).toEqual(["0:a", "1:b", "2:c", "1:f", "0:d", "0:e"]);
  });

  it("survives parent cycles", () => {
    const cyc = [run("x", "y"), run("y", "x")];
    expect(buildDisplayRows(cyc, new Set(["x", "y"])).length).toBeLessThanOrEqual(2);
  });
});

describe("run data", () => {
  const r = run("a", undefined, { metrics: [{ key: "loss", value: "NaN", timestamp: 0 }], params: [{ key: "lr", value: "0.1" }], tags: [{ key: "mlflow.user", value: "u" }, { key: "team", value: "x" }] });
  it("reads column values", () => {
    expect(columnValue(r, "metrics.loss")).toBeNaN();
    expect(columnValue(r, "params.lr")).toBe("0.1");
    expect(columnValue(r, "tags.team")).toBe("x");
    expect(columnValue(r, "params.none")).toBeUndefined();
  });
  it("lists keys with system tags last", () => {
    expect(keysSeen([r]).tags).toEqual(["team", "mlflow.user"]);
  });
  it("quotes odd keys", () => {
    expect(quoteKey("lr")).toBe("lr");
    expect(quoteKey("mlflow.runName")).toBe("mlflow.runName");
    expect(quoteKey("val loss")).toBe("`val loss`");
  });
});
