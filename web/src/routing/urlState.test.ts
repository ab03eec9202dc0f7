import { describe, expect, it } from "vitest";
import { decodeRunsState, DEFAULT_RUNS_STATE, encodeRunsState, makeHash, parseHash, type RunsState } from "./urlState";

describe("runs URL state", () => {
  it("round-trips every field", () => {
    const s: RunsState = {
      experiments: ["1", "22"],
      filter: "metrics.loss < 1 and params.opt = 'a&b=c'",
      sort: { key: "metrics.val loss", desc: true },
      columns: ["params.lr", "metrics.acc", "tags.team"],
      selected: ["abc", "def"],
      view: "charts",
      group: "params.optimizer name",
    };
    expect(decodeRunsState(encodeRunsState(s))).toEqual(s);
  });

  it("encodes the default state as an empty string and decodes it back", () => {
    expect(encodeRunsState(DEFAULT_RUNS_STATE)).toBe("");
    expect(decodeRunsState("")).toEqual(DEFAULT_RUNS_STATE);
  });

  it("accepts only params/tags columns as the group", () => {
    expect(decodeRunsState("g=tags.team").group).toBe("tags.team");
    expect(decodeRunsState("g=metrics.loss").group).toBe("");
  });

  it("ignores unknown views and defaults sort direction to ASC", () => {
    const s = decodeRunsState("v=bogus&o=attributes.run_name");
    expect(s.view).toBe("table");
    expect(s.sort).toEqual({ key: "attributes.run_name", desc: false });
  });

  it("parses and builds hashes", () => {
    const h = makeHash(["runs", "a b"], "tab=artifacts&path=x/y.png");
    const r = parseHash(h);
    expect(r.path).toEqual(["runs", "a b"]);
    expect(r.query.get("path")).toBe("x/y.png");
    expect(parseHash("").path).toEqual([]);
  });
});
