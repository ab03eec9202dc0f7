// Wire types of the MLflow-compatible REST API that the UI calls (protobuf JSON, snake_case).
// The one place where API shapes are declared; see /work docs/ui.md.

export interface KeyValue {
  key: string;
  value: string;
}

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: "active" | "deleted";
  creation_time?: number;
  last_update_time?: number;
  tags?: KeyValue[];
}

export type RunStatus = "RUNNING" | "SCHEDULED" | "FINISHED" | "FAILED" | "KILLED";

/** Non-finite doubles travel as strings. */
export type WireDouble = number | "NaN" | "Infinity" | "-Infinity";

export interface Metric {
  key: string;
  value: WireDouble;
  timestamp: number;
  step?: number;
}

export interface MetricWithRunId extends Metric {
  run_id: string;
}

export type NonFiniteName = "NaN" | "Infinity" | "-Infinity";

/**
 * GET .../tracklog/metrics/get-history-sampled (a tracklog extension), one run: its step buckets as
 * columns (index i = bucket i), numbers only. step = the bucket's last step, timestamp/value = its last
 * point, min/max over its non-NaN values. A non-finite value/min/max is 0 in its column and its index is
 * listed in non_finite (e.g. non_finite.value.NaN = [3, 17]).
 */
export interface SampledSeriesWire {
  run_id: string;
  key: string;
  total: number;
  bucket_width: number;
  step: number[];
  first_step: number[];
  timestamp: number[];
  value: number[];
  min: number[];
  max: number[];
  count: number[];
  nan_count: number[];
  non_finite?: Partial<Record<"value" | "min" | "max", Partial<Record<NonFiniteName, number[]>>>>;
}

export interface SampledHistoryWireResponse {
  series?: SampledSeriesWire[];
  max_points?: number;
}

/** A decoded series (api.historySampled): the same columns with NaN/±Infinity restored. */
export type SampledSeries = Omit<SampledSeriesWire, "non_finite">;

export interface SampledHistoryResponse {
  series: SampledSeries[];
  max_points?: number;
}

export interface RunInfo {
  run_id: string;
  run_uuid?: string;
  run_name?: string;
  experiment_id: string;
  user_id?: string;
  status: RunStatus;
  start_time?: number;
  end_time?: number;
  artifact_uri?: string;
  lifecycle_stage?: string;
}

export interface Dataset {
  name: string;
  digest: string;
  source_type?: string;
  source?: string;
  schema?: string;
  profile?: string;
}

export interface DatasetInput {
  tags?: KeyValue[];
  dataset: Dataset;
}

export interface Run {
  info: RunInfo;
  data: { metrics?: Metric[]; params?: KeyValue[]; tags?: KeyValue[] };
  inputs?: { dataset_inputs?: DatasetInput[]; model_inputs?: { model_id: string }[] };
  outputs?: { model_outputs?: { model_id: string; step?: number }[] };
}

export interface FileInfo {
  path: string;
  is_dir?: boolean;
  file_size?: number;
}

export interface LoggedModel {
  info: {
    model_id: string;
    experiment_id: string;
    name: string;
    creation_timestamp_ms?: number;
    artifact_uri?: string;
    status?: string;
    model_type?: string;
    source_run_id?: string;
    tags?: KeyValue[];
  };
  data?: { params?: KeyValue[]; metrics?: Metric[] };
}

export interface ApiErrorBody {
  error_code?: string;
  message?: string;
}

// ---- requests / responses ----

export type ViewType = "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL";

export interface SearchExperimentsRequest {
  max_results: number;
  page_token?: string;
  filter?: string;
  order_by?: string[];
  view_type?: ViewType;
}
export interface SearchExperimentsResponse {
  experiments?: Experiment[];
  next_page_token?: string;
}

export interface SearchRunsRequest {
  experiment_ids: string[];
  filter?: string;
  run_view_type?: ViewType;
  max_results: number;
  order_by?: string[];
  page_token?: string;
}
export interface SearchRunsResponse {
  runs?: Run[];
  next_page_token?: string;
}

export interface HistoryIntervalRequest {
  run_ids: string[];
  metric_key: string;
  max_results: number;
  start_step?: number;
  end_step?: number;
}
export interface HistoryIntervalResponse {
  metrics?: MetricWithRunId[];
}

export interface ListArtifactsResponse {
  root_uri?: string;
  files?: FileInfo[];
  next_page_token?: string;
}

export interface SearchLoggedModelsResponse {
  models?: LoggedModel[];
  next_page_token?: string;
}

/** Well-known tag keys. */
export const TAG = {
  runName: "mlflow.runName",
  parent: "mlflow.parentRunId",
  user: "mlflow.user",
  sourceName: "mlflow.source.name",
  sourceType: "mlflow.source.type",
  gitCommit: "mlflow.source.git.commit",
  note: "mlflow.note.content",
} as const;
