// Markdown to safe HTML: markdown-it with raw HTML disabled (tags come out escaped, javascript:/vbscript:/data:
// links are refused by its validateLink), then DOMPurify as a second line of defence.
import DOMPurify from "dompurify";
import MarkdownIt from "markdown-it";

const md = new MarkdownIt({ html: false, linkify: true, breaks: false });

export function renderMarkdown(source: string): string {
  const html = md.render(source);
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS: ["style", "form", "input", "iframe"], FORBID_ATTR: ["style"] });
}
