// The one typed client for the tracking API. Every URL is built relative to document.baseURI,
// so the UI works under any --static-prefix (the server serves index.html at "<prefix>/").
import type {
  ApiErrorBody,
  Experiment,
  FileInfo,
  HistoryIntervalRequest,
  HistoryIntervalResponse,
  ListArtifactsResponse,
  LoggedModel,
  Run,
  SearchExperimentsRequest,
  SearchExperimentsResponse,
  SearchLoggedModelsResponse,
  SearchRunsRequest,
  SearchRunsResponse,
  RunStatus,
  SampledHistoryResponse,
  SampledHistoryWireResponse,
  SampledSeries,
  SampledSeriesWire,
} from "./types";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

type Query = Record<string, string | number | boolean | string[] | undefined>;

export function buildQuery(q: Query): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) v.forEach((x) => sp.append(k, x));
    else sp.append(k, String(v));
  }
  const s = sp.toString();
  return s ? `?${s}` : "";
}

export interface ArtifactBytes {
  bytes: Uint8Array;
  /** True when the file had more bytes than the cap and only the first `cap` were read. */
  truncated: boolean;
  contentType: string;
}

export class TrackingApi {
  private readonly fetchImpl: FetchLike;
  private readonly base: () => string;

  constructor(fetchImpl?: FetchLike, base?: () => string) {
    this.fetchImpl = fetchImpl ?? ((i, init) => globalThis.fetch(i, init));
    this.base = base ?? (() => document.baseURI);
  }

  /** Absolute URL for a path relative to the UI root (e.g. "get-artifact?..."). */
  url(relative: string): string {
    return new URL(relative, this.base()).toString();
  }

  private async call<T>(method: "GET" | "POST", path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    let url = this.url(path.startsWith("ajax-api/") ? path : `ajax-api/2.0/mlflow/${path}`);
    const init: RequestInit = { method, signal: signal ?? null, headers: { Accept: "application/json" } };
    if (method === "GET" && body) url += buildQuery(body as Query);
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { Accept: "application/json", "Content-Type": "application/json" };
    }
    const res = await this.fetchImpl(url, init);
    const text = await res.text();
    let parsed: unknown = {};
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!res.ok) {
      const err = (parsed ?? {}) as ApiErrorBody;
      throw new ApiError(res.status, err.error_code ?? `HTTP_${res.status}`, err.message ?? (res.statusText || `HTTP ${res.status}`));
    }
    if (parsed === undefined) throw new ApiError(res.status, "BAD_RESPONSE", "The server answered with something other than JSON");
    return parsed as T;
  }

  // ---- experiments ----
  searchExperiments(req: SearchExperimentsRequest, signal?: AbortSignal): Promise<SearchExperimentsResponse> {
    return this.call("POST", "experiments/search", req, signal);
  }
  async allExperiments(signal?: AbortSignal): Promise<Experiment[]> {
    const out: Experiment[] = [];
    let token: string | undefined;
    do {
      const r = await this.searchExperiments({ max_results: 1000, page_token: token, view_type: "ACTIVE_ONLY" }, signal);
      out.push(...(r.experiments ?? []));
      token = r.next_page_token || undefined;
    } while (token);
    return out;
  }
  async createExperiment(name: string): Promise<string> {
    const r = await this.call<{ experiment_id: string }>("POST", "experiments/create", { name });
    return r.experiment_id;
  }
  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    await this.call("POST", "experiments/update", { experiment_id: experimentId, new_name: newName });
  }
  async deleteExperiment(experimentId: string): Promise<void> {
    await this.call("POST", "experiments/delete", { experiment_id: experimentId });
  }

  // ---- runs ----
  searchRuns(req: SearchRunsRequest, signal?: AbortSignal): Promise<SearchRunsResponse> {
    return this.call("POST", "runs/search", req, signal);
  }
  async getRun(runId: string, signal?: AbortSignal): Promise<Run> {
    const r = await this.call<{ run: Run }>("GET", "runs/get", { run_id: runId }, signal);
    return r.run;
  }
  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.call("POST", "runs/set-tag", { run_id: runId, key, value });
  }
  async deleteTag(runId: string, key: string): Promise<void> {
    await this.call("POST", "runs/delete-tag", { run_id: runId, key });
  }
  async updateRun(runId: string, fields: { run_name?: string; status?: RunStatus }): Promise<void> {
    await this.call("POST", "runs/update", { run_id: runId, ...fields });
  }

  // ---- metrics ----
  historyInterval(req: HistoryIntervalRequest, signal?: AbortSignal): Promise<HistoryIntervalResponse> {
    const q: Query = { run_ids: req.run_ids, metric_key: req.metric_key, max_results: req.max_results };
    if (req.start_step !== undefined && req.end_step !== undefined) {
      q.start_step = Math.floor(req.start_step);
      q.end_step = Math.ceil(req.end_step);
    }
    return this.call("GET", "metrics/get-history-bulk-interval", q, signal);
  }

  /** Bucketed history (last/min/max per step bucket) of one metric for up to 100 runs. */
  historySampled(
    req: { run_ids: string[]; metric_key: string; max_points: number; min_step?: number; max_step?: number },
    signal?: AbortSignal,
  ): Promise<SampledHistoryResponse> {
    const q: Query = { run_ids: req.run_ids, metric_key: req.metric_key, max_points: req.max_points };
    if (req.min_step !== undefined) q.min_step = Math.floor(req.min_step);
    if (req.max_step !== undefined) q.max_step = Math.ceil(req.max_step);
    return this.call<SampledHistoryWireResponse>("GET", "ajax-api/2.0/tracklog/metrics/get-history-sampled", q, signal).then((r) => ({
      max_points: r.max_points,
      series: (r.series ?? []).map(decodeSampled),
    }));
  }

  // ---- artifacts ----
  async listArtifacts(runId: string, path: string | undefined, signal?: AbortSignal): Promise<FileInfo[]> {
    const out: FileInfo[] = [];
    let token: string | undefined;
    do {
      const r = await this.call<ListArtifactsResponse>("GET", "artifacts/list", { run_id: runId, path: path || undefined, page_token: token }, signal);
      out.push(...(r.files ?? []));
      token = r.next_page_token || undefined;
    } while (token);
    return out;
  }

  artifactUrl(runId: string, path: string): string {
    return this.url(`get-artifact${buildQuery({ run_id: runId, path })}`);
  }

  /** Fetch at most `cap` bytes of an artifact (Range header, and the stream is cut if the server ignores it). */
  async fetchArtifact(runId: string, path: string, cap: number, signal?: AbortSignal): Promise<ArtifactBytes> {
    const res = await this.fetchImpl(this.artifactUrl(runId, path), {
      headers: { Range: `bytes=0-${cap}` },
      signal: signal ?? null,
    });
    if (!res.ok) {
      let msg = `HTTP ${res.status}`;
      try {
        const body = (await res.json()) as ApiErrorBody;
        msg = body.message ?? msg;
      } catch {
        /* not JSON */
      }
      throw new ApiError(res.status, `HTTP_${res.status}`, msg);
    }
    const contentType = res.headers.get("Content-Type") ?? "";
    const { bytes, more } = await readCapped(res, cap + 1);
    const truncated = more || bytes.length > cap;
    return { bytes: bytes.length > cap ? bytes.subarray(0, cap) : bytes, truncated, contentType };
  }

  // ---- logged models ----
  async searchLoggedModels(experimentIds: string[], runId: string, signal?: AbortSignal): Promise<LoggedModel[]> {
    const r = await this.call<SearchLoggedModelsResponse>(
      "POST",
      "logged-models/search",
      { experiment_ids: experimentIds, filter: `source_run_id = '${runId.replace(/'/g, "")}'`, max_results: 100 },
      signal,
    );
    return r.models ?? [];
  }
}

/** Read a response body, stopping after `limit` bytes. */
export async function readCapped(res: Response, limit: number): Promise<{ bytes: Uint8Array; more: boolean }> {
  if (!res.body) {
    const all = new Uint8Array(await res.arrayBuffer());
    return { bytes: all.subarray(0, limit), more: all.length > limit };
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  let more = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    n += value.length;
    if (n >= limit) {
      more = n > limit;
      await reader.cancel();
      break;
    }
  }
  const out = new Uint8Array(Math.min(n, limit));
  let off = 0;
  for (const c of chunks) {
    const take = Math.min(c.length, out.length - off);
    out.set(c.subarray(0, take), off);
    off += take;
    if (off >= out.length) break;
  }
  return { bytes: out, more };
}

export const api = new TrackingApi();

const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

/** Restore the non-finite numbers of a columnar bucketed series (in place: the arrays are fresh from JSON). */
export function decodeSampled(w: SampledSeriesWire): SampledSeries {
  const { non_finite: special, ...s } = w;
  if (special) {
    for (const column of ["value", "min", "max"] as const) {
      const kinds = special[column];
      if (!kinds) continue;
      for (const [name, indexes] of Object.entries(kinds)) {
        const v = NON_FINITE[name] ?? NaN;
        for (const i of indexes ?? []) s[column][i] = v;
      }
    }
  }
  return s;
}
