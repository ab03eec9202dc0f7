import { describe, expect, it } from "vitest";
import { plural } from "./plural";

describe("plural", () => {
  it("says 1 run and 2 runs", () => {
    expect(plural(1, "run")).toBe("1 run");
    expect(plural(2, "run")).toBe("2 runs");
    expect(plural(0, "run")).toBe("0 runs");
    expect(plural(10000, "run")).toBe("10,000 runs");
    expect(plural(1, "child", "children")).toBe("1 child");
    expect(plural(3, "child", "children")).toBe("3 children");
  });
});
