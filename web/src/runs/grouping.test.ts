import { describe, expect, it } from "vitest";
import type { Run } from "../api/types";
import { groupCounts, groupedRows, isGroupRow, selectableIds, sortByGroup } from "./grouping";

function run(id: string, opt?: string): Run {
  return { info: { run_id: id, experiment_id: "1", status: "FINISHED" }, data: { params: opt ? [{ key: "opt", value: opt }] : [] } } as unknown as Run;
}

describe("grouping runs", () => {
  const runs = [run("1", "sgd"), run("2", "adam"), run("3"), run("4", "sgd"), run("5", "adam")];
  it("puts group members together, keeping their order", () => {
    expect(sortByGroup(runs, "params.opt").map((r) => r.info.run_id)).toEqual(["2", "5", "1", "4", "3"]);
  });
  it("counts runs per group", () => {
    expect(groupCounts(runs, "params.opt")).toEqual([
      ["adam", 2],
      ["sgd", 2],
      ["(none)", 1],
    ]);
  });
});

describe("grouped table rows", () => {
  const runs = [run("1", "sgd"), run("2", "adam"), run("3"), run("4", "sgd"), run("5", "adam")];
  const label = (rows: ReturnType<typeof groupedRows>) => rows.map((r) => (isGroupRow(r) ? `[${r.group} ${r.count}${r.collapsed ? " +" : ""}]` : r.run.info.run_id));
  it("puts a header before each group's runs", () => {
    expect(label(groupedRows(runs, "params.opt", new Set(), new Set()))).toEqual(["[adam 2]", "2", "5", "[sgd 2]", "1", "4", "[(none) 1]", "3"]);
  });
  it("a collapsed group keeps only its header; select-all still covers its runs", () => {
    const rows = groupedRows(runs, "params.opt", new Set(), new Set(["sgd"]));
    expect(label(rows)).toEqual(["[adam 2]", "2", "5", "[sgd 2 +]", "[(none) 1]", "3"]);
    expect(selectableIds(rows)).toEqual(["2", "5", "1", "4", "3"]);
  });
});
