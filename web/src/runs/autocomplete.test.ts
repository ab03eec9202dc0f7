import { describe, expect, it } from "vitest";
import { applyCompletion, complete } from "./autocomplete";

const keys = { params: ["lr", "batch size"], metrics: ["loss", "val_loss"], tags: ["team"] };

describe("search autocomplete", () => {
  it("completes a kind prefix", () => {
    const c = complete("met", 3, keys)!;
    expect(c.suggestions).toEqual(["metrics.loss", "metrics.val_loss"]);
    expect(c.from).toBe(0);
  });

  it("completes after AND and quotes odd keys", () => {
    const text = "metrics.loss < 1 and params.b";
    const c = complete(text, text.length, keys)!;
    expect(c.suggestions).toEqual(["params.`batch size`"]);
    expect(applyCompletion(text, c, c.suggestions[0]!).text).toBe("metrics.loss < 1 and params.`batch size` ");
  });

  it("matches substrings after prefixes", () => {
    const c = complete("loss", 4, keys)!;
    expect(c.suggestions).toEqual(["metrics.loss", "metrics.val_loss"]);
  });

  it("does not complete inside a value position", () => {
    expect(complete("params.lr = 'met", 16, keys)).toBeNull();
    expect(complete("", 0, keys)).toBeNull();
  });

  it("offers attributes", () => {
    expect(complete("attributes.st", 13, keys)!.suggestions).toEqual(["attributes.status", "attributes.start_time"]);
  });
});
