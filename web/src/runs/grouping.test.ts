import { describe, expect, it } from "vitest";
import type { Run } from "../api/types";
import { groupCounts, sortByGroup } from "./grouping";

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
