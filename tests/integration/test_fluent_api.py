"""The whole fluent API end to end: embedded ./mlruns, a sqlite:/// URI, PostgreSQL, MySQL,
and a ``tracklog server`` subprocess over HTTP (with proxied artifacts).

The server databases (and the HTTP server) outlive one test, so every test
works in an experiment with a unique name.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

import tracklog
from tracklog.client import fluent, uri
from tracklog.entities import Dataset, LifecycleStage, RunStatus
from tracklog.exceptions import InvalidArgument, TrackingError

ENV_VARS = (
    *uri.TRACKING_URI_ENV_VARS,
    *uri.ARTIFACT_ROOT_ENV_VARS,
    *fluent.EXPERIMENT_ID_ENV_VARS,
    *fluent.EXPERIMENT_NAME_ENV_VARS,
    *fluent.RUN_ID_ENV_VARS,
)


@pytest.fixture(scope="module")
def tracklog_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``tracklog server`` (SQLite, proxied artifacts) on a free port; yields its URL."""
    folder = tmp_path_factory.mktemp("server")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLOG_"))}
    cmd = [sys.executable, "-m", "tracklog.cli.main", "server", "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                output = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"tracklog server did not start:\n{output}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(
    params=[
        pytest.param("embedded", id="embedded"),
        pytest.param("sqlite", id="sqlite-uri"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
        pytest.param("mysql", id="mysql", marks=pytest.mark.mysql),
        pytest.param("http", id="http-server"),
    ]
)
def backend(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Points tracklog at one backend (artifacts under tmp_path) and yields the backend's name."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    fluent._reset_state()
    kind = str(request.param)
    if kind == "sqlite":
        uri.set_tracking_uri(f"sqlite:///{tmp_path / 'tracking.db'}")
    elif kind == "postgresql":
        uri.set_tracking_uri(str(request.getfixturevalue("postgres_database")))
    elif kind == "mysql":
        uri.set_tracking_uri(str(request.getfixturevalue("mysql_database")))
    elif kind == "http":
        uri.set_tracking_uri(str(request.getfixturevalue("tracklog_server")))
    else:
        uri.set_tracking_uri(None)
    yield kind
    fluent._reset_state()
    uri.set_tracking_uri(None)
    uri._clear_store_cache()


def _experiment(prefix: str = "exp") -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    return tracklog.set_experiment(name).experiment_id


def test_backend_location(backend: str, tmp_path: Path) -> None:
    # A fresh experiment: on the server databases (shared by the whole test session) the
    # Default experiment keeps the artifact location of whichever test created it first.
    _experiment()
    with tracklog.start_run() as run:
        pass
    if backend == "http":
        assert run.info.artifact_uri.startswith("mlflow-artifacts:/")
        return
    assert run.info.artifact_uri.startswith(str(tmp_path.resolve() / "mlruns" / "artifacts"))
    if backend == "embedded":
        assert tracklog.get_tracking_uri() == (tmp_path / "mlruns").resolve().as_uri()
        assert (tmp_path / "mlruns" / "tracklog.db").is_file()


def test_params_metrics_tags_and_context(backend: str) -> None:
    exp_id = _experiment()
    with tracklog.start_run(run_name="full", tags={"team": "ml"}, description="notes") as run:
        tracklog.log_params({"n_estimators": 200, "max_depth": 8})
        tracklog.log_param("lr", 0.01)
        for step in range(5):
            tracklog.log_metric("loss", 1.0 / (step + 1), step=step)
        tracklog.log_metrics({"rmse": 3.5, "r2": 0.8})
        tracklog.set_tag("stage", "dev")
        tracklog.set_tags({"a": 1, "b": 2})
        tracklog.delete_tag("b")
    stored = tracklog.get_run(run.info.run_id)
    assert stored.info.experiment_id == exp_id
    assert stored.info.status == RunStatus.FINISHED
    assert stored.info.run_name == "full"
    assert stored.data.params_dict == {"n_estimators": "200", "max_depth": "8", "lr": "0.01"}
    assert stored.data.metrics_dict == {"loss": 0.2, "rmse": 3.5, "r2": 0.8}
    tags = stored.data.tags_dict
    assert tags["team"] == "ml" and tags["stage"] == "dev" and tags["a"] == "1" and "b" not in tags
    assert tags["mlflow.note.content"] == "notes"
    assert tags["mlflow.runName"] == "full"
    assert {"mlflow.user", "mlflow.source.name", "mlflow.source.type"} <= set(tags)
    history = tracklog.TrackingClient().get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == [0, 1, 2, 3, 4]


def test_nested_runs_and_resume(backend: str) -> None:
    _experiment()
    with tracklog.start_run(run_name="parent") as parent:
        for i in range(2):
            with tracklog.start_run(run_name=f"child-{i}", nested=True):
                tracklog.log_metric("i", i)
    children = tracklog.search_runs(
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'", output_format="list"
    )
    assert sorted(r.info.run_name for r in children) == ["child-0", "child-1"]
    with tracklog.start_run(run_id=parent.info.run_id):
        tracklog.log_metric("resumed", 1.0)
    resumed = tracklog.get_run(parent.info.run_id)
    assert resumed.data.metrics_dict == {"resumed": 1.0}
    assert resumed.info.status == RunStatus.FINISHED


def test_exceptions_mark_the_run_failed(backend: str) -> None:
    _experiment()
    with pytest.raises(KeyError), tracklog.start_run() as run:
        raise KeyError("boom")
    assert tracklog.get_run(run.info.run_id).info.status == RunStatus.FAILED
    with tracklog.start_run(), pytest.raises(TrackingError, match="already active"):
        tracklog.start_run()


def test_artifacts(backend: str, tmp_path: Path) -> None:
    _experiment()
    local = tmp_path / "local"
    (local / "sub").mkdir(parents=True)
    (local / "a.txt").write_text("A")
    (local / "sub" / "b.txt").write_text("B")
    with tracklog.start_run() as run:
        tracklog.log_artifact(local / "a.txt")
        tracklog.log_artifact(local / "a.txt", artifact_path="copies")
        tracklog.log_artifacts(local, artifact_path="tree")
        tracklog.log_text("hello", "notes/hello.txt")
        tracklog.log_dict({"k": [1, 2]}, "config/params.json")
        tracklog.log_dict({"k": [1, 2]}, "config/params.yaml")
        assert tracklog.get_artifact_uri("x/y") == run.info.artifact_uri + "/x/y"
    client = tracklog.TrackingClient()
    run_id = run.info.run_id
    top = {(f.path, f.is_dir) for f in client.list_artifacts(run_id)}
    assert top == {("a.txt", False), ("copies", True), ("tree", True), ("notes", True), ("config", True)}
    assert {f.path for f in client.list_artifacts(run_id, "tree")} == {"tree/a.txt", "tree/sub"}
    out = Path(client.download_artifacts(run_id, "", tmp_path / "download"))
    assert (out / "tree" / "sub" / "b.txt").read_text() == "B"
    assert (out / "copies" / "a.txt").read_text() == "A"
    assert (out / "notes" / "hello.txt").read_text() == "hello"
    assert json.loads((out / "config" / "params.json").read_text()) == {"k": [1, 2]}
    assert yaml.safe_load((out / "config" / "params.yaml").read_text()) == {"k": [1, 2]}


def test_figure_and_image(backend: str, tmp_path: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    np = pytest.importorskip("numpy")
    image_mod = pytest.importorskip("PIL.Image")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _experiment()
    fig, ax = plt.subplots()
    ax.plot([3, 1, 2])
    with tracklog.start_run() as run:
        tracklog.log_figure(fig, "plots/curve.png")
        tracklog.log_image(np.zeros((8, 6, 3), dtype=np.uint8), "images/black.png")
        tracklog.log_image(image_mod.new("L", (4, 4), color=255), "images/white.png")
    plt.close(fig)
    out = Path(tracklog.TrackingClient().download_artifacts(run.info.run_id, "", tmp_path / "dl"))
    assert (out / "plots" / "curve.png").read_bytes()[:4] == b"\x89PNG"
    with image_mod.open(out / "images" / "black.png") as img:
        assert img.size == (6, 8)
    with image_mod.open(out / "images" / "white.png") as img:
        assert img.getpixel((0, 0)) == 255


def test_log_input(backend: str) -> None:
    _experiment()
    dataset = Dataset(name="train", digest="abc123", source_type="local", source='{"uri": "/data/train.csv"}')
    with tracklog.start_run() as run:
        tracklog.log_input(dataset, context="training", tags={"split": "train"})
        tracklog.log_input({"name": "eval", "digest": "def456", "source_type": "code", "source": "{}"})
    inputs = tracklog.get_run(run.info.run_id).inputs.dataset_inputs
    by_name = {d.dataset.name: d for d in inputs}
    assert set(by_name) == {"train", "eval"}
    train_tags = {t.key: t.value for t in by_name["train"].tags}
    assert train_tags == {"mlflow.data.context": "training", "split": "train"}
    found = tracklog.search_runs(filter_string="datasets.context = 'training'", output_format="list")
    assert [r.info.run_id for r in found] == [run.info.run_id]


def test_log_input_with_an_mlflow_dataset(backend: str) -> None:
    pd = pytest.importorskip("pandas")
    mlflow_data = pytest.importorskip("mlflow.data")
    _experiment()
    source = mlflow_data.from_pandas(pd.DataFrame({"x": [1, 2], "y": [3, 4]}), name="frame")
    with tracklog.start_run() as run:
        tracklog.log_input(source, context="eval")
    (stored,) = tracklog.get_run(run.info.run_id).inputs.dataset_inputs
    assert stored.dataset.name == "frame"
    assert stored.dataset.digest == source.digest
    assert stored.dataset.schema and "x" in stored.dataset.schema


def test_search_runs_dataframe(backend: str) -> None:
    exp_id = _experiment("search")
    ids = []
    for i in range(4):
        with tracklog.start_run(run_name=f"r{i}") as run:
            tracklog.log_param("alpha", i)
            tracklog.log_metric("rmse", 10.0 - i)
            tracklog.set_tag("parity", "even" if i % 2 == 0 else "odd")
        ids.append(run.info.run_id)
    frame = tracklog.search_runs()
    assert len(frame) == 4
    base = ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    assert list(frame.columns[: len(base)]) == base
    assert {"metrics.rmse", "params.alpha", "tags.parity", "tags.mlflow.runName"} <= set(frame.columns)
    assert str(frame["start_time"].dtype).startswith("datetime64") and str(frame["end_time"].dt.tz) == "UTC"
    assert set(frame["status"]) == {"FINISHED"}
    assert set(frame["experiment_id"]) == {exp_id}
    assert list(frame["run_id"]) == ids[::-1]  # newest first by default
    odd = tracklog.search_runs(filter_string="tags.parity = 'odd' and metrics.rmse < 9", order_by=["metrics.rmse"])
    assert list(odd["params.alpha"]) == ["3"]
    ordered = tracklog.search_runs(order_by=["params.alpha ASC"], max_results=3)
    assert list(ordered["params.alpha"]) == ["0", "1", "2"]
    name = tracklog.get_experiment(exp_id).name
    listed = tracklog.search_runs(experiment_names=[name], output_format="list")
    assert {r.info.run_id for r in listed} == set(ids)
    tracklog.delete_run(ids[0])
    assert len(tracklog.search_runs()) == 3
    assert list(tracklog.search_runs(run_view_type="DELETED_ONLY")["run_id"]) == [ids[0]]
    with pytest.raises(InvalidArgument):
        tracklog.search_runs(filter_string="params.alpha = 1")


def test_client_experiment_and_run_lifecycle(backend: str) -> None:
    client = tracklog.TrackingClient()
    name = f"client-{uuid.uuid4().hex[:8]}"
    exp_id = client.create_experiment(name, tags={"team": "ml"})
    assert client.get_experiment_by_name(name).experiment_id == exp_id  # type: ignore[union-attr]
    client.rename_experiment(exp_id, name + "-renamed")
    client.set_experiment_tag(exp_id, "k", "v")
    client.delete_experiment_tag(exp_id, "team")
    exp = client.get_experiment(exp_id)
    assert exp.name == name + "-renamed" and exp.tags_dict == {"k": "v"}
    run = client.create_run(exp_id, run_name="explicit", tags={"mlflow.user": "alice"})
    assert run.info.user_id == "alice" and run.info.status == RunStatus.RUNNING
    client.log_param(run.info.run_id, "p", 1)
    client.log_metric(run.info.run_id, "m", 2.0, step=3)
    client.set_tag(run.info.run_id, "t", "x")
    client.update_run(run.info.run_id, name="renamed-run")
    client.set_terminated(run.info.run_id, "KILLED")
    stored = client.get_run(run.info.run_id)
    assert stored.info.status == RunStatus.KILLED and stored.info.end_time is not None
    assert stored.info.run_name == "renamed-run"
    client.delete_experiment(exp_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == LifecycleStage.DELETED
    with pytest.raises(InvalidArgument):
        tracklog.set_experiment(name + "-renamed")
    client.restore_experiment(exp_id)
    client.delete_run(run.info.run_id)
    client.restore_run(run.info.run_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == LifecycleStage.ACTIVE
    page = client.search_runs([exp_id], max_results=1)
    assert [r.info.run_id for r in page] == [run.info.run_id]
