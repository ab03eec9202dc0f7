import { describe, expect, it } from "vitest";
import { buildAxis, defaultAxes, polyline, position } from "./axes";

describe("parallel coordinate axes", () => {
  it("numeric axes scale linearly", () => {
    const a = buildAxis("params.lr", ["0.1", "0.3", undefined, "0.2"])!;
    expect(a.kind).toBe("numeric");
    expect(position(a, "0.1")).toBe(0);
    expect(position(a, "0.3")).toBe(1);
    expect(position(a, 0.2)).toBeCloseTo(0.5);
    expect(position(a, undefined)).toBeNull();
  });
  it("a constant axis puts every run in the middle", () => {
    const a = buildAxis("metrics.m", [2, 2])!;
    expect(position(a, 2)).toBe(0.5);
  });
  it("text params are categories in natural order", () => {
    const a = buildAxis("params.opt", ["sgd", "adam", "sgd", "adam10", "adam9"])!;
    expect(a.kind).toBe("category");
    expect(a.categories).toEqual(["adam", "adam9", "adam10", "sgd"]);
    expect(position(a, "adam")).toBe(0);
    expect(position(a, "sgd")).toBe(1);
    expect(position(a, "nope")).toBeNull();
  });
  it("no values, no axis", () => {
    expect(buildAxis("params.x", [undefined, ""])).toBeNull();
  });
  it("polylines break at missing values", () => {
    expect(polyline([0, 1, null, 0.5], [0, 10, 20, 30], 0, 100)).toBe("M0.0 100.0 L10.0 0.0 M30.0 50.0");
  });
  it("default axes: params, then up to three metrics", () => {
    expect(defaultAxes(["params.a", "metrics.x", "params.b", "metrics.y"], 8)).toEqual(["params.a", "params.b", "metrics.x", "metrics.y"]);
    const many = Array.from({ length: 12 }, (_, i) => `params.p${i}`);
    expect(defaultAxes([...many, "metrics.loss"], 8)).toHaveLength(8);
    expect(defaultAxes([...many, "metrics.loss"], 8)).toContain("metrics.loss");
  });
});
