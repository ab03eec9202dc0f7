import { describe, expect, it } from "vitest";
import { groupByPrefix } from "./groups";

describe("metric sections", () => {
  it("groups by the first path segment, unprefixed first", () => {
    expect(groupByPrefix(["val/loss", "loss", "train/loss", "train/acc", "/odd"])).toEqual([
      ["", ["loss", "/odd"]],
      ["train", ["train/loss", "train/acc"]],
      ["val", ["val/loss"]],
    ]);
  });
});
