import { useCallback, useEffect, useState } from "react";
import { api } from "./api/client";
import type { Experiment } from "./api/types";
import { AccountPage } from "./auth/AccountPage";
import { AdminPage } from "./auth/AdminPage";
import { AuthMenu } from "./auth/AuthMenu";
import { useSession } from "./auth/useSession";
import { ExperimentSidebar } from "./experiments/ExperimentSidebar";
import { RunPage } from "./run/RunPage";
import { RunsPage } from "./runs/RunsPage";
import { navigate, useRoute } from "./routing/router";
import { decodeRunsState, encodeRunsState, DEFAULT_RUNS_STATE } from "./routing/urlState";
import { Button, Empty } from "./ui/kit";
import { useTheme } from "./ui/theme";

export function App() {
  const route = useRoute();
  const [theme, toggleTheme] = useTheme();
  const [experiments, setExperiments] = useState<Experiment[] | null>(null);
  const [expError, setExpError] = useState<unknown>(null);
  const [expReload, setExpReload] = useState(0);
  const session = useSession(expReload);

  useEffect(() => {
    const ctrl = new AbortController();
    api
      .allExperiments(ctrl.signal)
      .then((e) => {
        setExperiments(e);
        setExpError(null);
      })
      .catch((e: unknown) => !ctrl.signal.aborted && setExpError(e));
    return () => ctrl.abort();
  }, [expReload]);

  // MLflow-style links (#/experiments/<id>[/runs/<run_id>]) open the same pages.
  useEffect(() => {
    const [a, expId, b, rid] = route.path;
    if (a !== "experiments" || !expId) return;
    if (b === "runs" && rid) navigate(["runs", rid], undefined, true);
    else navigate(["runs"], encodeRunsState({ ...DEFAULT_RUNS_STATE, experiments: [expId] }), true);
  }, [route.path.join("/")]); // eslint-disable-line react-hooks/exhaustive-deps

  const [top, runId] = route.path;
  const runsState = top === "runs" && !runId ? decodeRunsState(route.query.toString()) : null;
  const selectedExperiments = runsState?.experiments ?? [];

  const selectExperiments = useCallback(
    (ids: string[]) => {
      const base = runsState ?? DEFAULT_RUNS_STATE;
      // a new experiment set keeps filter/columns/sort, drops the run selection
      navigate(["runs"], encodeRunsState({ ...base, experiments: ids, selected: [] }));
    },
    [runsState],
  );

  let page;
  if (!top) page = <Home experiments={experiments} onSelect={selectExperiments} />;
  else if (top === "runs" && runId) page = <RunPage runId={runId} query={route.query} experiments={experiments} />;
  else if (top === "runs" && runsState) page = <RunsPage state={runsState} experiments={experiments} />;
  else if (top === "experiments") page = null;
  else if (top === "account") page = <AccountPage session={session} />;
  else if (top === "access") page = <AdminPage session={session} experiments={experiments} />;
  else page = <Empty>Unknown page. <a href="#/">Go to the start page</a>.</Empty>;

  return (
    <div className="tl-app">
      <header className="tl-topbar">
        <a className="tl-brand" href="#/">tracklog</a>
        <span className="tl-muted">experiment tracking</span>
        <span className="tl-spacer" />
        <AuthMenu session={session} />
        <Button small onClick={toggleTheme} aria-label="Toggle dark theme" title="Toggle light/dark theme">
          {theme === "dark" ? "☀ Light" : "☾ Dark"}
        </Button>
      </header>
      <div className="tl-main">
        <ExperimentSidebar experiments={experiments} error={expError} selected={selectedExperiments} onSelect={selectExperiments} onChanged={() => setExpReload((n) => n + 1)} />
        <main className="tl-content">{page}</main>
      </div>
    </div>
  );
}

function Home({ experiments, onSelect }: { experiments: Experiment[] | null; onSelect: (ids: string[]) => void }) {
  return (
    <div className="tl-page">
      <h1>Welcome to tracklog</h1>
      <p>Pick an experiment in the sidebar, or tick several to see their runs together.</p>
      {experiments && experiments.length ? (
        <p>
          <Button variant="primary" onClick={() => onSelect([[...experiments].sort((a, b) => (b.last_update_time ?? 0) - (a.last_update_time ?? 0))[0]!.experiment_id])}>
            Open the most recently updated experiment
          </Button>
        </p>
      ) : null}
    </div>
  );
}
