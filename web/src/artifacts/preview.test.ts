import { describe, expect, it } from "vitest";
import { blobType, looksBinary, parseDelimited, prettyJson, previewKind, tooLarge, FULL_CAP } from "./preview";

describe("preview kinds", () => {
  it("classifies by extension", () => {
    expect(previewKind("plots/a.PNG")).toBe("image");
    expect(previewKind("x.svg")).toBe("svg");
    expect(previewKind("report.html")).toBe("html");
    expect(previewKind("model/MLmodel")).toBe("text");
    expect(previewKind("data.tsv")).toBe("tsv");
    expect(previewKind("weights.bin")).toBe("binary");
  });

  it("never types an image blob as HTML", () => {
    expect(blobType("image", "evil.png")).toBe("image/png");
    expect(blobType("text", "a.txt")).toBe("text/plain");
  });

  it("caps full-file previews at 5 MB, text is truncated instead", () => {
    expect(tooLarge("image", FULL_CAP + 1)).toBe(true);
    expect(tooLarge("image", FULL_CAP)).toBe(false);
    expect(tooLarge("text", 100 * FULL_CAP)).toBe(false);
  });

  it("detects binary data", () => {
    expect(looksBinary(new Uint8Array([65, 0, 66]))).toBe(true);
    expect(looksBinary(new TextEncoder().encode("hello"))).toBe(false);
  });

  it("pretty-prints JSON and falls back to text", () => {
    expect(prettyJson('{"a":1}')).toEqual({ text: '{\n  "a": 1\n}', ok: true });
    expect(prettyJson("{bad").ok).toBe(false);
  });
});

describe("CSV parsing", () => {
  it("handles quotes, escaped quotes, embedded newlines and CRLF", () => {
    const r = parseDelimited('a,b\r\n1,"x, ""y"""\r\n2,"multi\nline"\r\n', ",");
    expect(r.header).toEqual(["a", "b"]);
    expect(r.rows).toEqual([["1", 'x, "y"'], ["2", "multi\nline"]]);
    expect(r.truncated).toBe(false);
  });

  it("parses TSV and a last line without newline", () => {
    expect(parseDelimited("a\tb\n1\t2", "\t").rows).toEqual([["1", "2"]]);
  });

  it("caps rows", () => {
    const text = "h\n" + Array.from({ length: 50 }, (_, i) => String(i)).join("\n") + "\n";
    const r = parseDelimited(text, ",", 10);
    expect(r.rows).toHaveLength(10);
    expect(r.rows[9]).toEqual(["9"]);
    expect(r.truncated).toBe(true);
  });

  it("drops the cut-off last line of a partial download", () => {
    const r = parseDelimited("h,v\n1,2\n3,4\n5,", ",", 100, true);
    expect(r.rows).toEqual([["1", "2"], ["3", "4"]]);
    expect(r.truncated).toBe(true);
  });
});
