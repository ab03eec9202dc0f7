// What an artifact preview may show, and how much of it is fetched.

/** Text-like previews read at most this many bytes (Range request; the stream is cut otherwise). */
export const TEXT_CAP = 1024 * 1024;
/** Images, HTML, SVG and PDF are previewed only when smaller than this. */
export const FULL_CAP = 5 * 1024 * 1024;
/** CSV/TSV previews show at most this many rows. */
export const CSV_MAX_ROWS = 500;

export type PreviewKind = "image" | "svg" | "html" | "pdf" | "json" | "csv" | "tsv" | "markdown" | "text" | "binary";

const IMAGE: Record<string, string> = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp", bmp: "image/bmp", ico: "image/x-icon", avif: "image/avif" };
const TEXT = new Set([
  "txt", "log", "py", "yaml", "yml", "toml", "cfg", "ini", "conf", "sh", "bash", "js", "ts", "tsx", "jsx", "java", "scala", "r", "sql", "c", "h", "cpp", "hpp", "go", "rs", "rb", "xml", "env", "properties", "ipynb", "lock", "gitignore", "dockerfile", "mlmodel", "jsonl", "ndjson", "tex", "rst", "diff", "patch",
]);
const TEXT_NAMES = new Set(["mlmodel", "dockerfile", "makefile", "license", "readme", "requirements.txt", "conda.yaml"]);

export function extension(path: string): string {
  const base = path.split("/").pop() ?? path;
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : "";
}

export function previewKind(path: string): PreviewKind {
  const ext = extension(path);
  const base = (path.split("/").pop() ?? path).toLowerCase();
  if (ext in IMAGE) return "image";
  if (ext === "svg") return "svg";
  if (ext === "html" || ext === "htm") return "html";
  if (ext === "pdf") return "pdf";
  if (ext === "json" || ext === "geojson") return "json";
  if (ext === "csv") return "csv";
  if (ext === "tsv") return "tsv";
  if (ext === "md" || ext === "markdown") return "markdown";
  if (TEXT.has(ext) || TEXT_NAMES.has(base) || ext === "") return "text";
  return "binary";
}

/** The Blob type used for a preview: never derived from the server's Content-Type. */
export function blobType(kind: PreviewKind, path: string): string {
  if (kind === "image") return IMAGE[extension(path)] ?? "application/octet-stream";
  if (kind === "svg") return "image/svg+xml";
  if (kind === "html") return "text/html";
  if (kind === "pdf") return "application/pdf";
  return "text/plain";
}

export function fetchCap(kind: PreviewKind): number {
  return kind === "image" || kind === "svg" || kind === "html" || kind === "pdf" ? FULL_CAP : TEXT_CAP;
}

/** Whether a preview is allowed at all for a file of this size (text-like files are truncated instead). */
export function tooLarge(kind: PreviewKind, size: number | undefined): boolean {
  return fetchCap(kind) === FULL_CAP && size !== undefined && size > FULL_CAP;
}

/** Heuristic: bytes that decode as text (no NUL in the first 8 KB). */
export function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 8192);
  for (let i = 0; i < n; i++) if (bytes[i] === 0) return true;
  return false;
}

export interface Delimited {
  header: string[];
  rows: string[][];
  /** More rows existed than shown (row cap or a truncated download). */
  truncated: boolean;
}

/**
 * Parse CSV/TSV (RFC 4180 quoting, CRLF or LF). `partial` means the text is a cut-off prefix:
 * the last, possibly incomplete, line is dropped.
 */
export function parseDelimited(text: string, delimiter: string, maxRows = CSV_MAX_ROWS, partial = false): Delimited {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let quoted = false;
  let i = 0;
  let stopped = false;
  const endRecord = () => {
    record.push(field);
    field = "";
    if (!(record.length === 1 && record[0] === "")) records.push(record);
    record = [];
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === "") quoted = true;
    else if (ch === delimiter) {
      record.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      if (records.length > maxRows) {
        stopped = true;
        break;
      }
    } else field += ch;
    i++;
  }
  if (!stopped) {
    if (partial) {
      // drop the incomplete last line
      field = "";
      record = [];
    } else if (field !== "" || record.length) endRecord();
  }
  const [header = [], ...rest] = records;
  const truncated = stopped || partial || rest.length > maxRows;
  return { header, rows: rest.slice(0, maxRows), truncated };
}

export function prettyJson(text: string): { text: string; ok: boolean } {
  try {
    return { text: JSON.stringify(JSON.parse(text), null, 2), ok: true };
  } catch {
    return { text, ok: false };
  }
}
