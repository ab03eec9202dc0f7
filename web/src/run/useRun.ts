import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { LoggedModel, Run } from "../api/types";
import { TAG } from "../api/types";

export function useRun(runId: string, reloadKey: number): { run: Run | null; error: unknown } {
  const [state, setState] = useState<{ run: Run | null; error: unknown; id: string }>({ run: null, error: null, id: runId });
  useEffect(() => {
    const ctrl = new AbortController();
    api
      .getRun(runId, ctrl.signal)
      .then((run) => !ctrl.signal.aborted && setState({ run, error: null, id: runId }))
      .catch((e: unknown) => !ctrl.signal.aborted && setState({ run: null, error: e, id: runId }));
    return () => ctrl.abort();
  }, [runId, reloadKey]);
  return state.id === runId ? state : { run: null, error: null };
}

export function useChildren(run: Run | null): Run[] | null {
  const [kids, setKids] = useState<Run[] | null>(null);
  const id = run?.info.run_id;
  const exp = run?.info.experiment_id;
  useEffect(() => {
    if (!id || !exp) return;
    const ctrl = new AbortController();
    api
      .searchRuns({ experiment_ids: [exp], filter: `tags.${TAG.parent} = '${id}'`, max_results: 1000 }, ctrl.signal)
      .then((r) => !ctrl.signal.aborted && setKids(r.runs ?? []))
      .catch(() => !ctrl.signal.aborted && setKids([]));
    return () => ctrl.abort();
  }, [id, exp]);
  return kids;
}

export function useLoggedModels(run: Run | null): { models: LoggedModel[] | null; error: unknown } {
  const [state, setState] = useState<{ models: LoggedModel[] | null; error: unknown }>({ models: null, error: null });
  const id = run?.info.run_id;
  const exp = run?.info.experiment_id;
  useEffect(() => {
    if (!id || !exp) return;
    const ctrl = new AbortController();
    api
      .searchLoggedModels([exp], id, ctrl.signal)
      .then((models) => !ctrl.signal.aborted && setState({ models, error: null }))
      .catch((e: unknown) => !ctrl.signal.aborted && setState({ models: [], error: e }));
    return () => ctrl.abort();
  }, [id, exp]);
  return state;
}
