// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { renderMarkdown } from "./markdown";

describe("markdown sanitizing", () => {
  it("renders markdown", () => {
    expect(renderMarkdown("# Title\n\n**bold**")).toContain("<strong>bold</strong>");
  });

  it("escapes raw HTML and scripts", () => {
    const out = renderMarkdown('<script>alert(1)</script><img src=x onerror="alert(2)">');
    expect(out).not.toContain("<script");
    expect(out).not.toContain("<img");
    expect(out).toContain("&lt;script&gt;");
  });

  it("drops javascript: links", () => {
    const out = renderMarkdown("[x](javascript:alert(1)) [y](https://example.com)");
    expect(out).not.toContain('href="javascript');
    expect(out).toContain('href="https://example.com"');
  });
});
