"""Fluent API semantics against the embedded store (./mlruns in a temp directory)."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import tracklog
from tracklog.client import _active
from tracklog.entities import LifecycleStage, RunStatus
from tracklog.exceptions import InvalidArgument, NotFound, TrackingError


def test_first_run_creates_the_embedded_store(embedded: Path) -> None:
    with tracklog.start_run() as run:
        tracklog.log_param("alpha", 0.5)
    assert (embedded / "tracklog.db").is_file()
    stored = tracklog.get_run(run.info.run_id)
    assert stored.info.experiment_id == "0"
    assert stored.info.status == RunStatus.FINISHED
    assert stored.info.end_time is not None
    assert stored.data.params_dict == {"alpha": "0.5"}
    assert stored.info.artifact_uri.startswith(str(embedded / "artifacts"))


def test_set_experiment_get_or_create(embedded: Path) -> None:
    first = tracklog.set_experiment("energy")
    again = tracklog.set_experiment("energy")
    assert first.experiment_id == again.experiment_id != "0"
    with tracklog.start_run() as run:
        pass
    assert run.info.experiment_id == first.experiment_id
    by_id = tracklog.set_experiment(experiment_id=first.experiment_id)
    assert by_id.name == "energy"


def test_set_experiment_needs_exactly_one_argument(embedded: Path) -> None:
    with pytest.raises(InvalidArgument):
        tracklog.set_experiment()
    with pytest.raises(InvalidArgument):
        tracklog.set_experiment("a", experiment_id="0")


def test_set_experiment_refuses_deleted_and_unknown(embedded: Path) -> None:
    exp = tracklog.set_experiment("gone")
    tracklog.delete_experiment(exp.experiment_id)
    with pytest.raises(InvalidArgument, match="deleted"):
        tracklog.set_experiment("gone")
    with pytest.raises(NotFound):
        tracklog.set_experiment(experiment_id="424242")


def test_set_experiment_survives_a_create_race(embedded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = tracklog.TrackingClient()
    real_get = tracklog.TrackingClient.get_experiment_by_name
    calls = {"n": 0}

    def racing_get(self: tracklog.TrackingClient, name: str) -> object:
        calls["n"] += 1
        if calls["n"] == 1:  # we look first; then "another process" creates it
            client.create_experiment(name)
            return None
        return real_get(self, name)

    monkeypatch.setattr(tracklog.TrackingClient, "get_experiment_by_name", racing_get)
    exp = tracklog.set_experiment("raced")
    assert exp.name == "raced"


def test_run_tags_record_the_context(embedded: Path) -> None:
    with tracklog.start_run(run_name="baseline", tags={"team": "ml"}, description="first try") as run:
        pass
    tags = tracklog.get_run(run.info.run_id).data.tags_dict
    assert tags["mlflow.runName"] == "baseline"
    assert tags["team"] == "ml"
    assert tags["mlflow.note.content"] == "first try"
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.user"]
    assert tags["mlflow.source.name"]
    assert tracklog.get_run(run.info.run_id).info.run_name == "baseline"


def test_a_second_run_without_nested_is_an_error(embedded: Path) -> None:
    with (
        tracklog.start_run() as outer,
        pytest.raises(TrackingError, match=f"Run with UUID {outer.info.run_id} is already active"),
    ):
        tracklog.start_run()
    assert tracklog.active_run() is None


def test_nested_runs(embedded: Path) -> None:
    with tracklog.start_run(run_name="parent") as parent:
        with tracklog.start_run(run_name="child", nested=True) as child:
            assert tracklog.active_run() is child
            tracklog.log_metric("loss", 0.1)
        assert tracklog.active_run() is parent
    child_run = tracklog.get_run(child.info.run_id)
    assert child_run.data.tags_dict["mlflow.parentRunId"] == parent.info.run_id
    assert child_run.data.metrics_dict == {"loss": 0.1}
    assert tracklog.get_parent_run(child.info.run_id).info.run_id == parent.info.run_id  # type: ignore[union-attr]
    assert tracklog.get_run(parent.info.run_id).data.metrics_dict == {}


def test_exception_marks_the_run_failed_and_propagates(embedded: Path) -> None:
    with pytest.raises(ZeroDivisionError), tracklog.start_run() as run:
        _ = 1 / 0
    assert tracklog.get_run(run.info.run_id).info.status == RunStatus.FAILED
    assert tracklog.active_run() is None


def test_exception_in_a_nested_run_fails_both_when_it_escapes(embedded: Path) -> None:
    with pytest.raises(RuntimeError), tracklog.start_run() as parent, tracklog.start_run(nested=True) as child:
        raise RuntimeError("boom")
    assert tracklog.get_run(child.info.run_id).info.status == RunStatus.FAILED
    assert tracklog.get_run(parent.info.run_id).info.status == RunStatus.FAILED


def test_plain_start_and_end_run(embedded: Path) -> None:
    run = tracklog.start_run()
    assert tracklog.active_run() is run
    tracklog.end_run("KILLED")
    assert tracklog.active_run() is None
    last = tracklog.last_active_run()
    assert last is not None and last.info.run_id == run.info.run_id
    assert last.info.status == RunStatus.KILLED
    tracklog.end_run()  # nothing active: a no-op


def test_resume_a_run(embedded: Path) -> None:
    with tracklog.start_run() as run:
        tracklog.log_metric("m", 1.0, step=0)
    with tracklog.start_run(run_id=run.info.run_id) as resumed:
        assert resumed.info.status == RunStatus.RUNNING
        tracklog.log_metric("m", 2.0, step=1)
    history = tracklog.TrackingClient().get_metric_history(run.info.run_id, "m")
    assert [(p.step, p.value) for p in history] == [(0, 1.0), (1, 2.0)]
    assert tracklog.get_run(run.info.run_id).info.status == RunStatus.FINISHED


def test_resume_checks_experiment_and_deletion(embedded: Path) -> None:
    with tracklog.start_run() as run:
        pass
    other = tracklog.create_experiment("other")
    with pytest.raises(InvalidArgument, match="belongs to"):
        tracklog.start_run(run_id=run.info.run_id, experiment_id=other)
    tracklog.delete_run(run.info.run_id)
    with pytest.raises(InvalidArgument, match="deleted"):
        tracklog.start_run(run_id=run.info.run_id)
    assert tracklog.active_run() is None


def test_run_id_from_environment(embedded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with tracklog.start_run() as run:
        pass
    monkeypatch.setenv("MLFLOW_RUN_ID", run.info.run_id)
    with tracklog.start_run() as resumed:
        assert resumed.info.run_id == run.info.run_id


def test_experiment_from_environment(embedded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "from-env")
    with tracklog.start_run() as run:
        pass
    assert tracklog.get_experiment(run.info.experiment_id).name == "from-env"


def test_logging_without_a_run_starts_one(embedded: Path) -> None:
    tracklog.log_metric("auto", 1.0)
    run = tracklog.active_run()
    assert run is not None
    tracklog.end_run()
    assert tracklog.get_run(run.info.run_id).data.metrics_dict == {"auto": 1.0}


def test_params_metrics_tags(embedded: Path) -> None:
    with tracklog.start_run() as run:
        assert tracklog.log_param("n_estimators", 200) == 200
        tracklog.log_params({"max_depth": 8, "criterion": "squared_error"})
        tracklog.log_metric("rmse", 3.0, step=0, timestamp=1_000)
        tracklog.log_metric("rmse", 2.5, step=1, timestamp=2_000)
        tracklog.log_metrics({"mae": 1.5, "r2": 0.9}, step=3)
        tracklog.set_tag("stage", "dev")
        tracklog.set_tags({"owner": "me", "temp": "x"})
        tracklog.delete_tag("temp")
    data = tracklog.get_run(run.info.run_id).data
    assert data.params_dict == {"n_estimators": "200", "max_depth": "8", "criterion": "squared_error"}
    assert data.metrics_dict == {"rmse": 2.5, "mae": 1.5, "r2": 0.9}
    assert {m.key: m.step for m in data.metric_list} == {"rmse": 1, "mae": 3, "r2": 3}
    assert data.tags_dict["stage"] == "dev"
    assert data.tags_dict["owner"] == "me"
    assert "temp" not in data.tags_dict


def test_many_params_are_split_into_batches(embedded: Path) -> None:
    with tracklog.start_run() as run:
        tracklog.log_params({f"p{i}": i for i in range(250)})
        tracklog.log_metrics({f"m{i}": float(i) for i in range(1500)})
    data = tracklog.get_run(run.info.run_id).data
    assert len(data.params) == 250
    assert len(data.metrics) == 1500


def test_bad_metric_value_is_invalid(embedded: Path) -> None:
    with tracklog.start_run(), pytest.raises(InvalidArgument):
        tracklog.log_metric("x", "not a number")  # type: ignore[arg-type]


def test_active_run_stack_is_per_thread(embedded: Path) -> None:
    seen: dict[str, object] = {}
    with tracklog.start_run() as main_run:

        def worker() -> None:
            seen["before"] = tracklog.active_run()
            with tracklog.start_run() as run:  # no "already active" error in another thread
                seen["run"] = run.info.run_id

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert tracklog.active_run() is main_run
    assert seen["before"] is None
    assert tracklog.get_run(str(seen["run"])).info.status == RunStatus.FINISHED


def test_atexit_hook_ends_leftover_runs(embedded: Path) -> None:
    run = tracklog.start_run()
    _active._end_all_at_exit()
    assert tracklog.get_run(run.info.run_id).info.status == RunStatus.FINISHED
    assert tracklog.active_run() is None


def test_active_experiment_is_scoped_to_its_tracking_uri(embedded: Path, tmp_path: Path) -> None:
    tracklog.set_experiment("here")
    tracklog.set_tracking_uri(tmp_path / "elsewhere")
    with tracklog.start_run() as run:
        pass
    assert run.info.experiment_id == "0"


def test_search_runs_dataframe(embedded: Path) -> None:
    exp = tracklog.set_experiment("search")
    for i in range(3):
        with tracklog.start_run(run_name=f"r{i}"):
            tracklog.log_param("i", i)
            tracklog.log_metric("score", float(i))
    frame = tracklog.search_runs()
    assert len(frame) == 3
    assert list(frame.columns[:6]) == ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    assert {"metrics.score", "params.i", "tags.mlflow.runName"} <= set(frame.columns)
    assert str(frame["start_time"].dtype).startswith("datetime64")
    assert set(frame["experiment_id"]) == {exp.experiment_id}
    best = tracklog.search_runs(filter_string="metrics.score >= 1", order_by=["metrics.score DESC"])
    assert list(best["params.i"]) == ["2", "1"]
    runs = tracklog.search_runs(experiment_names=["search"], output_format="list", max_results=2)
    assert len(runs) == 2
    assert tracklog.search_runs(experiment_names=["missing"]).empty


def test_search_runs_all_experiments(embedded: Path) -> None:
    for name in ("a", "b"):
        tracklog.set_experiment(name)
        with tracklog.start_run():
            pass
    assert len(tracklog.search_runs(search_all_experiments=True, output_format="list")) == 2
    with pytest.raises(InvalidArgument):
        tracklog.search_runs(experiment_ids=["0"], experiment_names=["a"])
    with pytest.raises(InvalidArgument):
        tracklog.search_runs(output_format="csv")  # type: ignore[call-overload]


def test_search_experiments_and_delete(embedded: Path) -> None:
    ids = [tracklog.create_experiment(f"exp-{i}") for i in range(3)]
    names = {e.name for e in tracklog.search_experiments()}
    assert {"Default", "exp-0", "exp-1", "exp-2"} <= names
    tracklog.delete_experiment(ids[0])
    deleted = tracklog.search_experiments(view_type="DELETED_ONLY")
    assert [e.experiment_id for e in deleted] == [ids[0]]
    assert tracklog.get_experiment(ids[0]).lifecycle_stage == LifecycleStage.DELETED
    assert len(tracklog.search_experiments(max_results=2)) == 2
    found = tracklog.get_experiment_by_name("exp-1")
    assert found is not None and found.experiment_id == ids[1]
    assert tracklog.get_experiment_by_name("nope") is None


def test_experiment_tags(embedded: Path) -> None:
    exp = tracklog.set_experiment("tagged")
    tracklog.set_experiment_tag("team", "ml")
    tracklog.set_experiment_tags({"priority": 1})
    assert tracklog.get_experiment(exp.experiment_id).tags_dict == {"team": "ml", "priority": "1"}


def _child(queue: Any) -> None:
    current = tracklog.active_run()
    _active._end_all_at_exit()  # what the child's interpreter exit would do
    queue.put(None if current is None else current.info.run_id)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_neither_sees_nor_ends_the_parents_run(embedded: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    with tracklog.start_run() as run:
        queue = ctx.Queue()
        proc = ctx.Process(target=_child, args=(queue,))
        proc.start()
        proc.join(60)
        assert queue.get(timeout=10) is None
        assert tracklog.get_run(run.info.run_id).info.status == RunStatus.RUNNING


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_runs_started_from_a_git_checkout_record_it(
    embedded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    for args in (
        ["init", "-q", "-b", "main"],
        ["config", "user.email", "t@example.com"],
        ["config", "user.name", "t"],
        ["remote", "add", "origin", "git@example.com:team/proj.git"],
    ):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    script = repo / "train.py"
    script.write_text("pass\n")
    subprocess.run(["git", "add", "."], cwd=repo, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-q", "-m", "x"], cwd=repo, check=True, capture_output=True)
    monkeypatch.setattr(sys, "argv", [str(script)])
    with tracklog.start_run() as run:
        pass
    tags = tracklog.get_run(run.info.run_id).data.tags_dict
    assert len(tags["mlflow.source.git.commit"]) == 40
    assert tags["mlflow.source.git.branch"] == "main"
    assert tags["mlflow.source.git.repoURL"] == "git@example.com:team/proj.git"
    assert tags["tracklog.source.git.dirty"] == "false"
    assert tags["mlflow.source.name"] == str(script.resolve())


def test_runs_outside_git_have_no_git_tags(embedded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    script = tmp_path / "plain.py"
    script.write_text("pass\n")
    monkeypatch.setattr(sys, "argv", [str(script)])
    with tracklog.start_run() as run:
        pass
    tags = tracklog.get_run(run.info.run_id).data.tags_dict
    assert not any(k.startswith(("mlflow.source.git", "tracklog.source.git")) for k in tags)


def test_description_and_note_tag_conflict(embedded: Path) -> None:
    with pytest.raises(InvalidArgument, match="description"):
        tracklog.start_run(description="a", tags={"mlflow.note.content": "b"})
    assert tracklog.active_run() is None


def test_system_metrics_are_sampled_into_the_run(embedded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("psutil")
    monkeypatch.setenv("TRACKLOG_SYSTEM_METRICS_SAMPLING_INTERVAL", "0.05")
    with tracklog.start_run(log_system_metrics=True) as run:
        monitor = run.monitor
        assert monitor is not None and monitor.running
        deadline = time.monotonic() + 20
        while monitor.samples == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not monitor.running and run.monitor is None
    metrics = tracklog.get_run(run.info.run_id).data.metrics_dict
    assert "system/cpu_utilization_percentage" in metrics


def test_system_metrics_off_by_default_and_from_env(embedded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with tracklog.start_run() as run:
        assert run.monitor is None
    pytest.importorskip("psutil")
    monkeypatch.setenv("MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING", "true")
    with tracklog.start_run() as run:
        assert run.monitor is not None


def test_missing_psutil_only_warns(embedded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tracklog.system_metrics as system_metrics
    from tracklog.exceptions import MissingExtra

    def missing() -> None:
        raise MissingExtra("system", "System metrics")

    monkeypatch.setattr(system_metrics, "_psutil", missing)
    with pytest.warns(UserWarning, match="system metrics"), tracklog.start_run(log_system_metrics=True) as run:
        assert run.monitor is None
    assert tracklog.get_run(run.info.run_id).info.status == RunStatus.FINISHED


def test_log_environment_saves_pinned_requirements(embedded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with tracklog.start_run(log_environment=True) as run:
        pass
    client = tracklog.TrackingClient()
    names = [f.path for f in client.list_artifacts(run.info.run_id, "environment")]
    assert names == ["environment/requirements.txt"]
    local = Path(client.download_artifacts(run.info.run_id, "environment/requirements.txt", str(embedded.parent)))
    lines = local.read_text().splitlines()
    assert lines[0].startswith("# python ")
    assert any(line.lower().startswith("sqlalchemy==") for line in lines)

    monkeypatch.setenv("TRACKLOG_LOG_ENVIRONMENT", "true")
    with tracklog.start_run() as second:
        pass
    assert client.list_artifacts(second.info.run_id, "environment")
    monkeypatch.setenv("TRACKLOG_LOG_ENVIRONMENT", "false")
    with tracklog.start_run() as third:
        pass
    assert client.list_artifacts(third.info.run_id, "environment") == []
