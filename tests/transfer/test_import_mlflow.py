"""``tracklog import mlflow`` from a real MLflow server: over REST and from its SQLite file."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from tests.transfer.conftest import FilledMlflow
from tests.transfer.snapshot import snapshot

from tracklog.entities import ViewType
from tracklog.store.registry import get_store
from tracklog.store.rest import RestStore
from tracklog.transfer.importer import COMPLETE_TAG, SOURCE_RUN_ID_TAG, Importer, ImportOptions
from tracklog.transfer.sources import MlflowSqlSource, StoreSource, open_mlflow_source


class Target:
    def __init__(self, folder: Path) -> None:
        self.uri = f"sqlite:///{folder / 'target.db'}"
        self.store = get_store(self.uri, str(folder / "target-art"))

    def source(self) -> StoreSource:
        return StoreSource(self.store, self.uri, owns_store=False)

    def run_import(self, source: Any, **options: Any) -> Any:
        return Importer(source, self.store, self.uri, ImportOptions(**options)).run()

    def all_runs(self) -> list[Any]:
        exps = [e.experiment_id for e in self.store.search_experiments(ViewType.ALL)]
        return list(self.store.search_runs(exps, run_view_type=ViewType.ALL))


@pytest.fixture(scope="module")
def source_picture(mlflow_source: FilledMlflow) -> dict[str, Any]:
    return snapshot(StoreSource(RestStore(mlflow_source.url), mlflow_source.url))


def test_source_picture_has_what_was_logged(source_picture: dict[str, Any]) -> None:
    child = source_picture["alpha"]["runs"]["child-train"]
    loss = child["metrics"]["loss"]
    assert len(loss) == 300
    assert sum(1 for _s, _t, v in loss if v == "nan") == 3
    assert child["tags"]["mlflow.parentRunId"] == "parent:parent"
    assert {"notes.txt", "plots/curve.bin", "plots/deep/conf.json"} <= set(child["artifacts"])
    assert child["datasets"] and "model" in source_picture["alpha"]["models"]
    assert source_picture["gamma"]["lifecycle"] == "deleted"
    assert source_picture["beta"]["runs"]["deleted-run"]["lifecycle"] == "deleted"


def test_import_over_rest_is_exact(mlflow_source: FilledMlflow, source_picture: dict[str, Any], tmp_path: Path) -> None:
    target = Target(tmp_path)
    summary = target.run_import(open_mlflow_source(mlflow_source.url))
    assert summary.copied["runs"] == 6 and not summary.failed
    assert snapshot(target.source()) == source_picture


def test_import_from_sqlite_file_is_exact(
    mlflow_source: FilledMlflow, source_picture: dict[str, Any], tmp_path: Path
) -> None:
    target = Target(tmp_path)
    source = MlflowSqlSource(mlflow_source.db_uri, str(mlflow_source.artifacts))
    assert snapshot(source) == source_picture  # the SQL reader sees what the REST API shows
    summary = target.run_import(source)
    assert summary.copied["metric points"] >= 300
    assert snapshot(target.source()) == source_picture


def test_imported_model_loads(mlflow_source: FilledMlflow, tmp_path: Path) -> None:
    target = Target(tmp_path)
    target.run_import(open_mlflow_source(mlflow_source.url), experiments=["alpha"])
    exp = target.store.get_experiment_by_name("alpha")
    assert exp is not None
    (model,) = target.store.search_logged_models([exp.experiment_id])
    from tracklog.sklearn import load_model

    estimator = load_model(f"models:/{model.model_id}", allow_pickle=True, tracking_uri=target.uri)
    assert list(estimator.predict([[0.0], [3.0]])) == [0, 1]


def test_interrupted_import_resumes_without_duplicates(
    mlflow_source: FilledMlflow, source_picture: dict[str, Any], tmp_path: Path
) -> None:
    target = Target(tmp_path)
    seen: list[str] = []

    def crash_after_two(run_id: str) -> None:
        seen.append(run_id)
        if len(seen) == 2:
            raise KeyboardInterrupt("simulated interruption")

    with pytest.raises(KeyboardInterrupt):
        target.run_import(open_mlflow_source(mlflow_source.url), after_run=crash_after_two)
    assert len(target.all_runs()) == 2
    summary = target.run_import(open_mlflow_source(mlflow_source.url))
    assert summary.copied["runs"] == 4
    assert snapshot(target.source()) == source_picture
    again = target.run_import(open_mlflow_source(mlflow_source.url))
    assert again.copied["runs"] == 0 and again.copied["metric points"] == 0
    source_ids = [r.data.tags_dict[SOURCE_RUN_ID_TAG] for r in target.all_runs()]
    assert len(source_ids) == len(set(source_ids)) == 6
    assert snapshot(target.source()) == source_picture


class CrashingSource:
    """Wraps a source; raises while reading the metrics of the ``crash_at``-th run."""

    def __init__(self, inner: Any, crash_at: int) -> None:
        self.inner = inner
        self.label = inner.label
        self.calls = 0
        self.crash_at = crash_at

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def metric_history(self, run: Any) -> Any:
        self.calls += 1
        if self.calls == self.crash_at:
            raise ConnectionError("simulated network failure mid-run")
        return self.inner.metric_history(run)


def test_run_interrupted_midway_is_finished(
    mlflow_source: FilledMlflow, source_picture: dict[str, Any], tmp_path: Path
) -> None:
    target = Target(tmp_path)
    sql = MlflowSqlSource(mlflow_source.db_uri, str(mlflow_source.artifacts))
    with pytest.raises(ConnectionError):
        target.run_import(CrashingSource(sql, crash_at=3))
    half = target.all_runs()
    assert len(half) == 3 and sum(r.data.tags_dict.get(COMPLETE_TAG) == "true" for r in half) == 2
    summary = target.run_import(sql)
    assert summary.skipped[("runs", "resumed (finished an interrupted import)")] == 1
    assert len(target.all_runs()) == 6
    assert snapshot(target.source()) == source_picture


def test_nan_survives(mlflow_source: FilledMlflow, tmp_path: Path) -> None:
    target = Target(tmp_path)
    target.run_import(MlflowSqlSource(mlflow_source.db_uri, str(mlflow_source.artifacts)), artifacts=False)
    (run,) = [r for r in target.all_runs() if r.info.run_name == "child-train"]
    points = target.store.get_metric_history(run.info.run_id, "loss")
    assert sum(math.isnan(p.value) for p in points) == 3


def test_import_from_mlruns_folder(
    mlflow_file_store: Path, source_picture: dict[str, Any], tmp_path: Path
) -> None:
    source = open_mlflow_source(str(mlflow_file_store))
    picture = snapshot(source)
    child = picture["alpha"]["runs"]["child-train"]
    assert len(child["metrics"]["loss"]) == 300 and child["tags"]["mlflow.parentRunId"] == "parent:parent"
    assert picture["gamma"]["lifecycle"] == "deleted"
    # the same logging calls as the server's: the same shape, apart from times and git details
    def shape(pic: dict[str, Any]) -> dict[str, list[str]]:
        return {name: sorted(exp["runs"]) for name, exp in pic.items()}

    assert shape(picture) == shape(source_picture)
    assert child["artifacts"] == source_picture["alpha"]["runs"]["child-train"]["artifacts"]
    target = Target(tmp_path)
    target.run_import(source)
    assert snapshot(target.source()) == picture


def test_import_into_a_tracklog_server(
    mlflow_source: FilledMlflow, source_picture: dict[str, Any], tmp_path: Path
) -> None:
    from tests.http_client.conftest import running_server

    with running_server("tracklog", tmp_path) as url:
        store = RestStore(url)
        source = MlflowSqlSource(mlflow_source.db_uri, str(mlflow_source.artifacts))
        summary = Importer(source, store, url, ImportOptions()).run()
        assert summary.copied["runs"] == 6 and summary.copied["artifact files"] == 8
        # MLflow's REST API has no id fields on create: ids are new, the tags map them
        assert not summary.copied["run ids kept"] and not store.keeps_ids
        source_run_ids = {r.info.run_id for r in source.runs(mlflow_source.facts["alpha"])}
        target_exp = store.get_experiment_by_name("alpha")
        assert target_exp is not None
        imported = list(store.search_runs([target_exp.experiment_id], run_view_type=ViewType.ALL))
        assert imported and not source_run_ids & {r.info.run_id for r in imported}
        assert {r.data.tags[SOURCE_RUN_ID_TAG] for r in imported} <= source_run_ids
        assert snapshot(StoreSource(store, url, owns_store=False)) == source_picture
        again = Importer(source, store, url, ImportOptions()).run()
        assert again.copied["runs"] == 0


def _source_ids(source: Any) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """experiment id -> name, run id -> name, model id -> name (Default left out)."""
    exps = {e.experiment_id: e.name for e in source.experiments() if e.experiment_id != "0"}
    runs = {r.info.run_id: r.info.run_name for eid in exps for r in source.runs(eid)}
    models = {m.model_id: m.name for eid in exps for m in source.logged_models(eid)}
    return exps, runs, models


def test_sql_target_keeps_mlflow_ids(mlflow_source: FilledMlflow, tmp_path: Path) -> None:
    target = Target(tmp_path)
    source = MlflowSqlSource(mlflow_source.db_uri, str(mlflow_source.artifacts))
    exps, runs, models = _source_ids(source)
    assert len(exps) == 3 and len(runs) == 6 and models
    summary = target.run_import(open_mlflow_source(mlflow_source.url), artifacts=False)
    assert summary.copied["run ids kept"] == 6 and summary.copied["experiment ids kept"] == 3
    for eid, name in exps.items():
        got = target.store.get_experiment(eid)
        src = next(e for e in source.experiments() if e.experiment_id == eid)
        assert (got.name, got.creation_time) == (name, src.creation_time)
    for rid, name in runs.items():
        run = target.store.get_run(rid)
        assert run.info.run_name == name and run.data.tags[SOURCE_RUN_ID_TAG] == rid
        parent = run.data.tags.get("mlflow.parentRunId")
        assert parent is None or parent in runs  # parent links need no rewriting
    for mid, name in models.items():
        model = target.store.get_logged_model(mid)
        src_model = next(m for eid in exps for m in source.logged_models(eid) if m.model_id == mid)
        assert model.name == name and model.creation_timestamp_ms == src_model.creation_timestamp_ms
    # generated ids continue after the kept ones; a second import finds everything by its tags
    assert int(target.store.create_experiment("after-import")) > max(int(e) for e in exps)
    again = target.run_import(source, artifacts=False)
    assert again.copied["runs"] == 0 and again.copied["metric points"] == 0 and not again.copied["run ids kept"]


def test_taken_ids_fall_back_to_a_mapping(
    mlflow_source: FilledMlflow, source_picture: dict[str, Any], tmp_path: Path
) -> None:
    target = Target(tmp_path)
    source = MlflowSqlSource(mlflow_source.db_uri, str(mlflow_source.artifacts))
    exps, runs, _models = _source_ids(source)
    for i in range(max(int(e) for e in exps)):  # occupy every source experiment id
        target.store.create_experiment(f"local-{i}")
    summary = target.run_import(source)
    assert summary.skipped[("experiment ids kept", "new id: source id taken in the target")] == 3
    assert summary.copied["run ids kept"] == 6  # run ids are still free
    for eid, name in exps.items():
        assert target.store.get_experiment(eid).name.startswith("local-")
        moved = target.store.get_experiment_by_name(name)
        assert moved is not None and moved.experiment_id != eid
    picture = snapshot(target.source())
    assert {k: v for k, v in picture.items() if not k.startswith("local-")} == source_picture
    assert target.run_import(source).copied["runs"] == 0
    assert {r.info.run_id for r in target.all_runs()} == set(runs)
