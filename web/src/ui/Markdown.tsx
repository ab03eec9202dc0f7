import { useMemo } from "react";
import { renderMarkdown } from "./markdown";

/** Sanitized markdown (see markdown.ts). The only place the UI sets HTML. */
export function Markdown({ source }: { source: string }) {
  const html = useMemo(() => renderMarkdown(source), [source]);
  return <div className="tl-markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}
