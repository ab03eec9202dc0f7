import { useEffect, useState, type ReactNode } from "react";
import { api } from "../api/client";
import { TAG, type Experiment, type Run } from "../api/types";
import { ArtifactBrowser, Markdown, MetricCharts } from "../lazy";
import { hrefFor, navigate } from "../routing/router";
import { encodeRunsState, DEFAULT_RUNS_STATE, makeHash } from "../routing/urlState";
import { duration, runName, tagOf, toNumber } from "../runs/runData";
import { Button, ErrorBox, formatDuration, formatTime, formatValue, Loading, StatusBadge, Tabs } from "../ui/kit";
import { TagsEditor } from "./TagsEditor";
import { useChildren, useLoggedModels, useRun } from "./useRun";

type RunTab = "overview" | "charts" | "artifacts";

export function RunPage({ runId, query, experiments }: { runId: string; query: URLSearchParams; experiments: Experiment[] | null }) {
  const [reload, setReload] = useState(0);
  const { run, error } = useRun(runId, reload);
  const tab = (["overview", "charts", "artifacts"].includes(query.get("tab") ?? "") ? query.get("tab") : "overview") as RunTab;
  const path = query.get("path") ?? "";

  // keep a RUNNING run's status fresh
  useEffect(() => {
    if (run?.info.status !== "RUNNING") return;
    const t = setInterval(() => setReload((n) => n + 1), 10_000);
    return () => clearInterval(t);
  }, [run?.info.status]);

  if (error) return <div className="tl-page"><ErrorBox error={error} title="Could not load the run" /></div>;
  if (!run) return <Loading what="run" />;

  const setQuery = (patch: Record<string, string>) => {
    const q = new URLSearchParams(query);
    Object.entries(patch).forEach(([k, v]) => (v ? q.set(k, v) : q.delete(k)));
    navigate(["runs", runId], q, true);
  };
  const exp = experiments?.find((e) => e.experiment_id === run.info.experiment_id);
  const expHref = hrefFor(["runs"], encodeRunsState({ ...DEFAULT_RUNS_STATE, experiments: [run.info.experiment_id] }));

  return (
    <div className="tl-runs-page">
      <div style={{ padding: "10px 18px 0" }}>
        <div className="tl-muted" style={{ fontSize: 12.5 }}>
          <a href={expHref}>{exp?.name ?? `experiment ${run.info.experiment_id}`}</a> › run
        </div>
        <div className="tl-row">
          <h1 data-testid="run-name">{runName(run)}</h1>
          <StatusBadge status={run.info.status} />
        </div>
      </div>
      <Tabs
        tabs={[
          { id: "overview", label: "Overview" },
          { id: "charts", label: `Metric charts (${run.data.metrics?.length ?? 0})` },
          { id: "artifacts", label: "Artifacts" },
        ]}
        value={tab}
        onChange={(t) => setQuery({ tab: t === "overview" ? "" : t })}
      />
      <div className="tl-page">
        {tab === "overview" ? <Overview run={run} onChanged={() => setReload((n) => n + 1)} /> : null}
        {tab === "charts" ? <MetricCharts runs={[run]} /> : null}
        {tab === "artifacts" ? <ArtifactBrowser runId={runId} path={path} onSelect={(p) => setQuery({ path: p })} /> : null}
      </div>
    </div>
  );
}

function Overview({ run, onChanged }: { run: Run; onChanged: () => void }) {
  const children = useChildren(run);
  const parent = tagOf(run, TAG.parent);
  const note = tagOf(run, TAG.note) ?? "";
  const info = run.info;
  const rows: [string, ReactNode][] = [
    ["Run ID", <span className="mono">{info.run_id}</span>],
    ["Status", <StatusBadge status={info.status} />],
    ["Start time", formatTime(info.start_time)],
    ["End time", formatTime(info.end_time)],
    ["Duration", formatDuration(duration(run))],
    ["User", info.user_id ?? tagOf(run, TAG.user) ?? ""],
    ["Source", `${tagOf(run, TAG.sourceName) ?? ""}${tagOf(run, TAG.sourceType) ? ` (${tagOf(run, TAG.sourceType)})` : ""}`],
    ["Git commit", <span className="mono">{tagOf(run, TAG.gitCommit) ?? ""}</span>],
    ["Artifact URI", <span className="mono">{info.artifact_uri ?? ""}</span>],
    ["Parent run", parent ? <a href={hrefFor(["runs", parent])}>{parent}</a> : <span className="tl-muted">none</span>],
    [
      "Child runs",
      children === null ? "…" : children.length === 0 ? <span className="tl-muted">none</span> : (
        <span className="tl-row" style={{ gap: 10 }}>
          {children.map((c) => (
            <a key={c.info.run_id} href={hrefFor(["runs", c.info.run_id])}>{runName(c)}</a>
          ))}
        </span>
      ),
    ],
  ];
  const metrics = [...(run.data.metrics ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  const params = [...(run.data.params ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  const datasets = run.inputs?.dataset_inputs ?? [];
  return (
    <div className="tl-col" style={{ gap: 4, maxWidth: 1100 }}>
      <table className="tl-kv" aria-label="Run overview">
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th style={{ width: 160, position: "static" }}>{k}</th>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Description runId={run.info.run_id} note={note} onChanged={onChanged} />
      <h2>Parameters ({params.length})</h2>
      {params.length ? (
        <table className="tl-kv" aria-label="Parameters">
          <thead><tr><th style={{ width: "40%" }}>key</th><th>value</th></tr></thead>
          <tbody>{params.map((p) => <tr key={p.key}><td className="mono">{p.key}</td><td className="mono">{p.value}</td></tr>)}</tbody>
        </table>
      ) : <p className="tl-muted">No parameters.</p>}
      <h2>Metrics ({metrics.length})</h2>
      {metrics.length ? (
        <table className="tl-kv" aria-label="Metrics">
          <thead><tr><th style={{ width: "40%" }}>key</th><th>latest value</th><th>step</th><th>time</th></tr></thead>
          <tbody>
            {metrics.map((m) => (
              <tr key={m.key}>
                <td className="mono"><a href={makeHash(["runs", run.info.run_id], "tab=charts")}>{m.key}</a></td>
                <td className="mono">{formatValue(toNumber(m.value))}</td>
                <td>{m.step ?? 0}</td>
                <td>{formatTime(m.timestamp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : <p className="tl-muted">No metrics.</p>}
      <h2>Tags</h2>
      <TagsEditor runId={run.info.run_id} tags={(run.data.tags ?? []).filter((t) => t.key !== TAG.note)} onChanged={onChanged} />
      <h2>Dataset inputs ({datasets.length})</h2>
      {datasets.length ? (
        <table className="tl-kv" aria-label="Datasets">
          <thead><tr><th>name</th><th>digest</th><th>context</th><th>source</th></tr></thead>
          <tbody>
            {datasets.map((d, i) => (
              <tr key={i}>
                <td>{d.dataset.name}</td>
                <td className="mono">{d.dataset.digest}</td>
                <td>{d.tags?.find((t) => t.key === "mlflow.data.context")?.value ?? ""}</td>
                <td className="mono" title={d.dataset.source}>{d.dataset.source_type ?? ""} {(d.dataset.source ?? "").slice(0, 200)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : <p className="tl-muted">No datasets.</p>}
      <LoggedModels run={run} />
    </div>
  );
}

function LoggedModels({ run }: { run: Run }) {
  const { models, error } = useLoggedModels(run);
  return (
    <>
      <h2>Logged models{models ? ` (${models.length})` : ""}</h2>
      {error ? <ErrorBox error={error} /> : null}
      {models === null ? <Loading what="models" /> : models.length === 0 ? <p className="tl-muted">No logged models.</p> : (
        <table className="tl-kv" aria-label="Logged models">
          <thead><tr><th>name</th><th>model id</th><th>status</th><th>type</th><th>created</th></tr></thead>
          <tbody>
            {models.map((m) => (
              <tr key={m.info.model_id}>
                <td>{m.info.name}</td>
                <td className="mono">{m.info.model_id}</td>
                <td>{m.info.status ?? ""}</td>
                <td>{m.info.model_type ?? ""}</td>
                <td>{formatTime(m.info.creation_timestamp_ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function Description({ runId, note, onChanged }: { runId: string; note: string; onChanged: () => void }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(note);
  const [error, setError] = useState<unknown>(null);
  const save = async () => {
    try {
      await api.setTag(runId, TAG.note, draft);
      setEditing(false);
      setError(null);
      onChanged();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <div className="tl-row">
        <h2>Description</h2>
        {!editing ? <Button small onClick={() => { setDraft(note); setEditing(true); }}>Edit</Button> : null}
      </div>
      {editing ? (
        <div className="tl-col">
          <textarea className="tl-input mono" rows={8} value={draft} aria-label="Description (markdown)" onChange={(e) => setDraft(e.target.value)} />
          <div className="tl-row">
            <Button variant="primary" onClick={() => void save()}>Save</Button>
            <Button onClick={() => setEditing(false)}>Cancel</Button>
            <span className="tl-muted">Markdown; raw HTML is shown as text.</span>
          </div>
          {error ? <ErrorBox error={error} /> : null}
        </div>
      ) : note ? (
        <div data-testid="run-description"><Markdown source={note} /></div>
      ) : (
        <p className="tl-muted">No description.</p>
      )}
    </>
  );
}
