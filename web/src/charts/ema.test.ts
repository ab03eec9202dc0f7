import { describe, expect, it } from "vitest";
import { ema } from "./ema";

describe("EMA smoothing", () => {
  it("is the identity at weight 0", () => {
    expect(ema([1, 5, 2], 0)).toEqual([1, 5, 2]);
  });

  it("starts at the first value (debiased) and smooths", () => {
    const out = ema([10, 0, 0], 0.5) as number[];
    expect(out[0]).toBeCloseTo(10);
    expect(out[1]).toBeCloseTo((0.5 * 5 + 0) / 0.75); // 3.333
    expect(out[2]!).toBeLessThan(out[1]!);
  });

  it("keeps a constant series constant", () => {
    for (const v of ema([3, 3, 3, 3, 3], 0.9)) expect(v).toBeCloseTo(3);
  });

  it("passes gaps and non-finite values through", () => {
    const out = ema([1, null, NaN, 3], 0.5);
    expect(out[1]).toBeNull();
    expect(out[2]).toBeNaN();
    expect(out[0]).toBe(1);
    expect(out[3]).toBeCloseTo((0.25 * 1 + 0.5 * 3) / 0.75);
  });
});
