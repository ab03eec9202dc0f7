import { useEffect, useState } from "react";
import { api, type ArtifactBytes } from "../api/client";
import { Empty, ErrorBox, formatBytes, Loading } from "../ui/kit";
import { Markdown } from "../ui/Markdown";
import { blobType, CSV_MAX_ROWS, fetchCap, FULL_CAP, looksBinary, parseDelimited, prettyJson, previewKind, TEXT_CAP, tooLarge, type PreviewKind } from "./preview";

export function ArtifactPreview({ runId, path, size }: { runId: string; path: string; size: number | undefined }) {
  const kind = previewKind(path);
  const big = tooLarge(kind, size);
  const [data, setData] = useState<ArtifactBytes | null>(null);
  const [error, setError] = useState<unknown>(null);
  const downloadUrl = api.artifactUrl(runId, path);

  useEffect(() => {
    if (big || kind === "binary") return;
    const ctrl = new AbortController();
    api
      .fetchArtifact(runId, path, fetchCap(kind), ctrl.signal)
      .then((d) => !ctrl.signal.aborted && setData(d))
      .catch((e: unknown) => !ctrl.signal.aborted && setError(e));
    return () => ctrl.abort();
  }, [runId, path, kind, big]);

  const header = (
    <div className="tl-row" style={{ marginBottom: 8 }}>
      <strong className="mono" style={{ wordBreak: "break-all" }}>{path}</strong>
      <span className="tl-muted">{formatBytes(size)}</span>
      <span className="tl-spacer" />
      <a className="tl-btn" href={downloadUrl} download={path.split("/").pop()}>
        Download
      </a>
    </div>
  );

  let body;
  if (big) body = <Empty>Too large to preview ({formatBytes(size)}; previews stop at {formatBytes(FULL_CAP)}) — download it instead.</Empty>;
  else if (kind === "binary") body = <Empty>No preview for this file type — download it instead.</Empty>;
  else if (error) body = <ErrorBox error={error} title="Could not load the artifact" />;
  else if (!data) body = <Loading what="preview" />;
  else if (data.truncated && fetchCap(kind) === FULL_CAP) body = <Empty>Too large to preview — download it instead.</Empty>;
  else body = <PreviewBody kind={kind} path={path} data={data} />;

  return (
    <div data-testid="artifact-preview">
      {header}
      {body}
    </div>
  );
}

function useBlobUrl(bytes: Uint8Array, type: string): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const u = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [bytes, type]);
  return url;
}

function PreviewBody({ kind, path, data }: { kind: PreviewKind; path: string; data: ArtifactBytes }) {
  if (kind === "image") return <ImagePreview data={data} path={path} />;
  if (kind === "html" || kind === "svg" || kind === "pdf") return <SandboxedPreview data={data} kind={kind} path={path} />;
  if (looksBinary(data.bytes)) return <Empty>This file looks binary — download it instead.</Empty>;
  const text = new TextDecoder("utf-8", { fatal: false }).decode(data.bytes);
  const note = data.truncated ? <p className="tl-muted">Showing the first {TEXT_CAP / 1024 / 1024} MB only — download the whole file.</p> : null;
  if (kind === "csv" || kind === "tsv") {
    const t = parseDelimited(text, kind === "csv" ? "," : "\t", CSV_MAX_ROWS, data.truncated);
    return (
      <div>
        {t.truncated ? <p className="tl-muted">Showing the first {t.rows.length} rows.</p> : null}
        <div style={{ overflow: "auto", maxHeight: "70vh" }}>
          <table className="tl-kv" aria-label="CSV preview">
            <thead>
              <tr>{t.header.map((h, i) => <th key={i}>{h}</th>)}</tr>
            </thead>
            <tbody>
              {t.rows.map((r, i) => (
                <tr key={i}>{r.map((c, j) => <td key={j} className="mono">{c}</td>)}</tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    );
  }
  if (kind === "markdown") {
    return (
      <div>
        {note}
        <Markdown source={text} />
      </div>
    );
  }
  const shown = kind === "json" && !data.truncated ? prettyJson(text).text : text;
  return (
    <div>
      {note}
      <pre className="tl-code">{shown}</pre>
    </div>
  );
}

function ImagePreview({ data, path }: { data: ArtifactBytes; path: string }) {
  const url = useBlobUrl(data.bytes, blobType("image", path));
  return url ? <img className="tl-image" src={url} alt={path} /> : null;
}

/** HTML, SVG and PDF run only in a sandboxed frame without same-origin or scripts, from a blob URL. */
function SandboxedPreview({ data, kind, path }: { data: ArtifactBytes; kind: PreviewKind; path: string }) {
  const url = useBlobUrl(data.bytes, blobType(kind, path));
  return (
    <div>
      <p className="tl-muted">
        Shown in a sandboxed frame (scripts disabled){kind === "pdf" ? "; if your browser does not render PDFs there, download the file" : ""}.
      </p>
      {url ? <iframe className="tl-sandbox" sandbox="" src={url} title={`Preview of ${path}`} referrerPolicy="no-referrer" /> : null}
    </div>
  );
}
