import { describe, expect, it } from "vitest";
import type { SampledSeries } from "../api/types";
import { alignLines, groupBand, groupRuns, linesFromRuns, markersOf, stepIndex, toRunPoints, valueAtStep, xMetricKey } from "./sampled";

interface P {
  step: number;
  timestamp: number;
  value: number;
  min: number;
  max: number;
  count: number;
  nan_count: number;
  first_step: number;
}
const num = (v: number | "NaN" | "Infinity" | "-Infinity") => (typeof v === "number" ? v : v === "NaN" ? NaN : v === "Infinity" ? Infinity : -Infinity);
function pt(step: number, value: number | "NaN" | "Infinity" | "-Infinity", extra: Partial<P> = {}): P {
  const v = num(value);
  return { step, timestamp: 1_000_000 + step * 1000, value: v, min: v, max: v, count: 1, nan_count: 0, first_step: step, ...extra };
}
function series(runId: string, points: P[], width = 1): SampledSeries {
  const col = <K extends keyof P>(k: K) => points.map((p) => p[k]);
  return {
    run_id: runId, key: "loss", total: points.length, bucket_width: width,
    step: col("step"), first_step: col("first_step"), timestamp: col("timestamp"), value: col("value"),
    min: col("min"), max: col("max"), count: col("count"), nan_count: col("nan_count"),
  };
}

describe("x-axis modes", () => {
  const s = series("a", [pt(0, 1), pt(10, 2, { min: -5, max: 9, count: 10 }), pt(20, "NaN")], 10);
  it("step keeps steps, buckets and the min/max band", () => {
    const r = toRunPoints(s, "step", 0);
    expect(r.pts.map((p) => [p.x, p.y, p.lo, p.hi, p.bucket])).toEqual([
      [0, 1, 1, 1, 0],
      [10, 2, -5, 9, 1],
      [20, NaN, NaN, NaN, 2],
    ]);
    expect(r.sampled).toBe(true);
  });
  it("wall and relative time use the last point's timestamp", () => {
    expect(toRunPoints(s, "wall", 0).pts.map((p) => p.x)).toEqual([1000, 1010, 1020]);
    expect(toRunPoints(s, "relative", 1_000_000).pts.map((p) => p.x)).toEqual([0, 10, 20]);
  });
  it("another metric as x joins by step (exact, else the last earlier step)", () => {
    const lr = stepIndex(series("a", [pt(5, 0.1), pt(10, 0.2), pt(15, 0.3)]));
    expect(valueAtStep(lr, 4)).toBeNaN();
    expect(valueAtStep(lr, 10)).toBe(0.2);
    expect(valueAtStep(lr, 12)).toBe(0.2);
    expect(valueAtStep(lr, 99)).toBe(0.3);
    const r = toRunPoints(s, "metric:lr", 0, lr);
    expect(xMetricKey("metric:lr")).toBe("lr");
    expect(r.pts.map((p) => [p.step, p.x])).toEqual([
      [10, 0.2],
      [20, 0.3],
    ]);
  });
});

describe("group bands", () => {
  const a = toRunPoints(series("a", [pt(0, 1), pt(1, 3)]), "step", 0);
  const b = toRunPoints(series("b", [pt(0, 3), pt(1, "NaN")]), "step", 0);
  const c = toRunPoints(series("c", [pt(0, 5), pt(1, 5)]), "step", 0);
  it("mean ± population std per bucket, NaN left out", () => {
    const g = groupBand([a, b, c], "std");
    expect(g.x).toEqual([0, 1]);
    expect(g.mean).toEqual([3, 4]);
    expect(g.n).toEqual([3, 2]);
    const std0 = Math.sqrt(8 / 3);
    expect(g.lo[0]).toBeCloseTo(3 - std0);
    expect(g.hi[0]).toBeCloseTo(3 + std0);
    expect(g.lo[1]).toBeCloseTo(3);
    expect(g.hi[1]).toBeCloseTo(5);
  });
  it("min/max band", () => {
    const g = groupBand([a, b, c], "minmax");
    expect(g.lo).toEqual([1, 3]);
    expect(g.hi).toEqual([5, 5]);
  });
  it("groups runs by value, natural order, missing last", () => {
    const g = groupRuns([{ v: "10" }, { v: "9" }, { v: undefined }, { v: "9" }], (r) => r.v);
    expect(g.map(([k, rs]) => [k, rs.length])).toEqual([
      ["9", 2],
      ["10", 1],
      ["(none)", 1],
    ]);
  });
});

describe("aligned data", () => {
  it("joins on the union of x, adds band columns only for sampled runs", () => {
    const sampled = toRunPoints(series("a", [pt(0, 1, { min: 0, max: 2, count: 2 }), pt(2, 3)], 2), "step", 0);
    const exact = toRunPoints(series("b", [pt(1, 5), pt(2, "Infinity")]), "step", 0);
    const { data, index } = alignLines(linesFromRuns([sampled, exact], true), 0, false);
    expect(data[0]).toEqual([0, 1, 2]);
    expect(index).toEqual([{ y: 1, lo: 2, hi: 3 }, { y: 4 }]);
    expect(data[1]).toEqual([1, null, 3]);
    expect(data[2]).toEqual([0, null, 3]);
    expect(data[3]).toEqual([2, null, 3]);
    expect(data[4]).toEqual([null, 5, null]); // +inf is not drawable
  });
  it("log scale drops non-positive values; smoothing leaves bands alone", () => {
    const r = toRunPoints(series("a", [pt(0, 0, { min: -1, max: 1, count: 3 }), pt(1, 10), pt(2, 20)]), "step", 0);
    const { data } = alignLines(linesFromRuns([r], true), 0.5, true);
    expect(data[1]![0]).toBeNull();
    expect(data[2]).toEqual([null, 10, 20]);
    const smooth = alignLines(linesFromRuns([r], true), 0.5, false);
    expect(smooth.data[1]![2]).not.toBe(20);
    expect(smooth.data[3]).toEqual([1, 10, 20]);
  });
});

describe("NaN and infinity markers", () => {
  it("flag NaN anywhere in a bucket and ±inf in the line or the band", () => {
    const s = series("a", [pt(0, 1, { nan_count: 2, count: 5 }), pt(10, "NaN"), pt(20, 2, { max: Infinity }), pt(30, "-Infinity"), pt(40, 3)], 10);
    const m = markersOf(toRunPoints(s, "step", 0).pts, 4);
    expect(m).toEqual([
      { x: 0, kind: "nan", line: 4 },
      { x: 10, kind: "nan", line: 4 },
      { x: 20, kind: "inf", line: 4 },
      { x: 30, kind: "-inf", line: 4 },
    ]);
  });
});
