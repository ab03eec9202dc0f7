import { useEffect, useRef, useState } from "react";
import { ApiError, api } from "../api/client";
import type { Run } from "../api/types";

export const PAGE_SIZE = 1000;
/** The first page is small so the first rows paint fast; later pages are PAGE_SIZE. */
export const FIRST_PAGE_SIZE = 100;
/** Stop paging after this many runs (the table stays usable; narrow with a filter beyond it). */
export const MAX_RUNS = 50_000;

export interface RunSearchState {
  runs: Run[];
  /** Still fetching more pages. */
  loading: boolean;
  /** True once the first page arrived. */
  ready: boolean;
  /** A filter error (400 from the server): shown inline under the filter box. */
  filterError: string | null;
  error: unknown;
  truncated: boolean;
}

const EMPTY: RunSearchState = { runs: [], loading: false, ready: true, filterError: null, error: null, truncated: false };

/**
 * Fetch runs/search pages of PAGE_SIZE progressively: the first page renders at once,
 * later pages are appended as they arrive. Any change of inputs aborts the previous walk.
 */
export function useRunSearch(experimentIds: string[], filter: string, orderBy: string[], refreshKey: number): RunSearchState {
  const [state, setState] = useState<RunSearchState>(EMPTY);
  const expKey = experimentIds.join(",");
  const orderKey = orderBy.join("\u0000");
  const inputsKey = `${expKey}\u0001${filter}\u0001${orderKey}`;
  const lastInputs = useRef<string | null>(null);
  const current = useRef(state);
  current.current = state;

  useEffect(() => {
    if (!expKey) {
      setState(EMPTY);
      lastInputs.current = inputsKey;
      return;
    }
    // Same inputs, new refreshKey: a quiet refresh that keeps the rows and swaps them once complete.
    const quiet = lastInputs.current === inputsKey && current.current.ready && !current.current.error && !current.current.filterError;
    lastInputs.current = inputsKey;
    const ctrl = new AbortController();
    if (!quiet) setState((s) => ({ ...s, loading: true, ready: false, error: null, filterError: null }));
    (async () => {
      const all: Run[] = [];
      let token: string | undefined;
      let first = true;
      do {
        const r = await api.searchRuns(
          {
            experiment_ids: expKey.split(","),
            filter: filter || undefined,
            order_by: orderKey ? orderKey.split("\u0000") : undefined,
            max_results: first && !quiet ? FIRST_PAGE_SIZE : PAGE_SIZE,
            page_token: token,
            run_view_type: "ACTIVE_ONLY",
          },
          ctrl.signal,
        );
        all.push(...(r.runs ?? []));
        token = r.next_page_token || undefined;
        const more = Boolean(token) && all.length < MAX_RUNS;
        if (ctrl.signal.aborted) return;
        if (!quiet || !more) {
          setState({ runs: all.slice(), loading: more, ready: true, filterError: null, error: null, truncated: Boolean(token) && !more });
        }
        first = false;
        if (!more) break;
      } while (token);
    })().catch((e: unknown) => {
      if (ctrl.signal.aborted) return;
      if (e instanceof ApiError && e.status === 400 && filter) {
        setState({ ...EMPTY, filterError: e.message });
      } else if (!quiet) {
        setState({ ...EMPTY, error: e });
      }
    });
    return () => ctrl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [inputsKey, refreshKey]);

  return state;
}
