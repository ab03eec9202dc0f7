import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { SampledSeries } from "../api/types";

/** Buckets per run and request: about one per pixel of a wide chart. The server returns min/max/last per bucket. */
export const POINTS_PER_RUN = 1000;
/** The server accepts at most 100 run ids per request. */
const RUN_CHUNK = 100;

export interface StepRange {
  start: number;
  end: number;
}

export interface HistoryState {
  series: SampledSeries[] | null;
  error: unknown;
  loading: boolean;
}

/** Bucketed histories of one metric for the runs; a range re-fetches detail for the zoomed steps. key=null: nothing. */
export function useMetricHistory(runIds: string[], key: string | null, range: StepRange | null, tick: number): HistoryState {
  const [state, setState] = useState<HistoryState>({ series: null, error: null, loading: key !== null });
  const ids = runIds.join(",");
  const rangeKey = range ? `${range.start}:${range.end}` : "";
  useEffect(() => {
    if (!ids || key === null) {
      setState({ series: [], error: null, loading: false });
      return;
    }
    const ctrl = new AbortController();
    performance.mark(`tracklog:chart-request:${key}`); // read by benchmarks/ui_bench.py
    setState((s) => ({ ...s, loading: true }));
    const list = ids.split(",");
    const chunks: string[][] = [];
    for (let i = 0; i < list.length; i += RUN_CHUNK) chunks.push(list.slice(i, i + RUN_CHUNK));
    Promise.all(
      chunks.map((c) =>
        api.historySampled({ run_ids: c, metric_key: key, max_points: POINTS_PER_RUN, min_step: range?.start, max_step: range?.end }, ctrl.signal),
      ),
    )
      .then((rs) => {
        if (ctrl.signal.aborted) return;
        performance.mark(`tracklog:chart-data:${key}`); // the response is parsed and decoded (read by benchmarks/ui_bench.py)
        setState({ series: rs.flatMap((r) => r.series), error: null, loading: false });
      })
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setState({ series: null, error: e, loading: false });
      });
    return () => ctrl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ids, key, rangeKey, tick]);
  return state;
}
