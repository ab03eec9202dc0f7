import { describe, expect, it } from "vitest";
import { alignSeries, toSeries } from "./series";

describe("chart series", () => {
  const pts = [
    { run_id: "a", key: "loss", value: 3, step: 2, timestamp: 3000 },
    { run_id: "a", key: "loss", value: 1, step: 0, timestamp: 1000 },
    { run_id: "b", key: "loss", value: "NaN" as const, step: 1, timestamp: 5000 },
    { run_id: "b", key: "loss", value: 4, step: 2, timestamp: 6000 },
  ];

  it("groups by run, sorts by step and aligns on a shared x", () => {
    const s = toSeries(pts, ["a", "b"], "step", new Map());
    expect(s[0]!.x).toEqual([0, 2]);
    const [x, a, b] = alignSeries(s, 0);
    expect(x).toEqual([0, 1, 2]);
    expect(a).toEqual([1, null, 3]);
    expect(b).toEqual([null, null, 4]); // NaN becomes a gap
  });

  it("uses seconds since start for the time axis", () => {
    const s = toSeries(pts, ["a"], "time", new Map([["a", 0]]));
    expect(s[0]!.x).toEqual([1, 3]);
  });
});
