import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { MetricWithRunId } from "../api/types";

/** Points per run and request; the server samples evenly and keeps the first and last steps. */
export const POINTS_PER_RUN = 1000;
/** The server accepts at most 100 run ids per bulk-interval call. */
const RUN_CHUNK = 100;

export interface StepRange {
  start: number;
  end: number;
}

export interface HistoryState {
  points: MetricWithRunId[] | null;
  error: unknown;
  loading: boolean;
}

export function useMetricHistory(runIds: string[], key: string, range: StepRange | null, tick: number): HistoryState {
  const [state, setState] = useState<HistoryState>({ points: null, error: null, loading: true });
  const ids = runIds.join(",");
  const rangeKey = range ? `${range.start}:${range.end}` : "";
  useEffect(() => {
    if (!ids) {
      setState({ points: [], error: null, loading: false });
      return;
    }
    const ctrl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    const list = ids.split(",");
    const chunks: string[][] = [];
    for (let i = 0; i < list.length; i += RUN_CHUNK) chunks.push(list.slice(i, i + RUN_CHUNK));
    Promise.all(
      chunks.map((c) =>
        api.historyInterval({ run_ids: c, metric_key: key, max_results: POINTS_PER_RUN, start_step: range?.start, end_step: range?.end }, ctrl.signal),
      ),
    )
      .then((rs) => {
        if (!ctrl.signal.aborted) setState({ points: rs.flatMap((r) => r.metrics ?? []), error: null, loading: false });
      })
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setState({ points: null, error: e, loading: false });
      });
    return () => ctrl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ids, key, rangeKey, tick]);
  return state;
}
