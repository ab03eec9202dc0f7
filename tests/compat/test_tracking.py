"""The official mlflow client against tracklog: experiments, runs, params, metrics, tags, search."""

from __future__ import annotations

import math
import time
import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.compat

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_server_starts_fast(tracklog_server: Any) -> None:
    # Wall time from spawn to the first OK /health: interpreter start, imports (store: SQLAlchemy,
    # Alembic), schema creation. It scales with machine load, so this only guards against hangs.
    print(f"tracklog server ready after {tracklog_server.ready_s:.2f}s")
    assert tracklog_server.ready_s < 45


def test_set_experiment_nested_runs_params_metrics_tags(mlflow_client: MlflowClient) -> None:
    exp = mlflow.set_experiment(_name("basic"))
    assert exp.artifact_location == f"mlflow-artifacts:/{exp.experiment_id}"
    assert mlflow.set_experiment(exp.name).experiment_id == exp.experiment_id
    with mlflow.start_run(run_name="parent") as parent:
        mlflow.log_param("lr", 0.1)
        mlflow.log_params({"layers": 3, "act": "relu"})
        mlflow.log_param("lr", 0.1)  # same value again is fine
        with pytest.raises(MlflowException):
            mlflow.log_param("lr", 0.2)
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metrics({"acc": 0.9, "f1": 0.8}, step=7)
        mlflow.set_tag("team", "ml")
        mlflow.set_tags({"a": "1", "b": "2"})
        with mlflow.start_run(run_name="child", nested=True) as child:
            mlflow.log_metric("inner", 1.0)
    run = mlflow_client.get_run(parent.info.run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == "parent"
    assert run.data.params == {"lr": "0.1", "layers": "3", "act": "relu"}
    assert run.data.metrics["loss"] == pytest.approx(0.2)
    assert run.data.metrics["acc"] == 0.9
    assert run.data.tags["team"] == "ml" and run.data.tags["b"] == "2"
    history = mlflow_client.get_metric_history(parent.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(s, 1.0 / (s + 1)) for s in range(5)]
    kid = mlflow_client.get_run(child.info.run_id)
    assert kid.data.tags["mlflow.parentRunId"] == parent.info.run_id


def test_non_finite_metrics(mlflow_client: MlflowClient) -> None:
    mlflow.set_experiment(_name("nonfinite"))
    with mlflow.start_run() as run:
        mlflow.log_metric("nan", float("nan"))
        mlflow.log_metric("inf", float("inf"), step=1)
        mlflow.log_metric("ninf", float("-inf"), step=2)
        mlflow.log_metrics({"tiny": 5e-324, "negzero": -0.0})
    data = mlflow_client.get_run(run.info.run_id).data.metrics
    assert math.isnan(data["nan"])
    assert data["inf"] == math.inf and data["ninf"] == -math.inf
    assert data["tiny"] == 5e-324
    hist = mlflow_client.get_metric_history(run.info.run_id, "inf")
    assert hist[0].value == math.inf and hist[0].step == 1


def test_long_metric_history_pages(mlflow_client: MlflowClient) -> None:
    mlflow.set_experiment(_name("history"))
    with mlflow.start_run() as run:
        client = MlflowClient()
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        for start in range(0, 3000, 1000):
            client.log_batch(run.info.run_id, metrics=[Metric("x", float(i), now, i)
                                                       for i in range(start, start + 1000)])
    hist = mlflow_client.get_metric_history(run.info.run_id, "x")
    assert [m.step for m in hist] == list(range(3000))


def test_run_lifecycle(mlflow_client: MlflowClient) -> None:
    exp_id = mlflow_client.create_experiment(_name("life"))
    run = mlflow_client.create_run(exp_id, run_name="r")
    mlflow_client.set_terminated(run.info.run_id, status="KILLED")
    assert mlflow_client.get_run(run.info.run_id).info.status == "KILLED"
    mlflow_client.delete_run(run.info.run_id)
    assert mlflow_client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    assert mlflow_client.search_runs([exp_id]) == []
    from mlflow.entities import ViewType

    assert len(mlflow_client.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)) == 1
    mlflow_client.restore_run(run.info.run_id)
    assert mlflow_client.get_run(run.info.run_id).info.lifecycle_stage == "active"
    mlflow_client.update_run(run.info.run_id, name="renamed")
    assert mlflow_client.get_run(run.info.run_id).info.run_name == "renamed"
    mlflow_client.set_tag(run.info.run_id, "k", "v")
    mlflow_client.delete_tag(run.info.run_id, "k")
    assert "k" not in mlflow_client.get_run(run.info.run_id).data.tags


def test_experiments_crud_search_tags(mlflow_client: MlflowClient) -> None:
    name = _name("crud")
    exp_id = mlflow_client.create_experiment(name, tags={"owner": "me"})
    with pytest.raises(MlflowException) as err:
        mlflow_client.create_experiment(name)
    assert err.value.error_code == "RESOURCE_ALREADY_EXISTS"
    by_name = mlflow_client.get_experiment_by_name(name)
    assert by_name is not None and by_name.experiment_id == exp_id
    assert mlflow_client.get_experiment_by_name(_name("missing")) is None
    mlflow_client.set_experiment_tag(exp_id, "mlflow.note.content", "notes")
    mlflow_client.rename_experiment(exp_id, name + "-2")
    exp = mlflow_client.get_experiment(exp_id)
    assert exp.name == name + "-2" and exp.tags["owner"] == "me" and exp.tags["mlflow.note.content"] == "notes"
    mlflow_client.delete_experiment_tag(exp_id, "owner")
    assert "owner" not in mlflow_client.get_experiment(exp_id).tags
    found = mlflow_client.search_experiments(filter_string=f"name = '{name}-2'")
    assert [e.experiment_id for e in found] == [exp_id]
    mlflow_client.delete_experiment(exp_id)
    assert mlflow_client.get_experiment(exp_id).lifecycle_stage == "deleted"
    with pytest.raises(MlflowException):
        mlflow.set_experiment(name + "-2")
    mlflow_client.restore_experiment(exp_id)
    assert mlflow_client.get_experiment(exp_id).lifecycle_stage == "active"
    names = [e.name for e in mlflow.search_experiments(order_by=["name ASC"])]
    assert names == sorted(names) and name + "-2" in names


def test_search_runs(mlflow_client: MlflowClient) -> None:
    exp = mlflow.set_experiment(_name("search"))
    for i in range(7):
        with mlflow.start_run(run_name=f"run-{i}"):
            mlflow.log_metric("score", i)
            mlflow.log_param("parity", "even" if i % 2 == 0 else "odd")
            mlflow.set_tag("group", "g1" if i < 4 else "g2")
    runs = mlflow_client.search_runs([exp.experiment_id], "metrics.score >= 3 and params.parity = 'odd'",
                                     order_by=["metrics.score DESC"])
    assert [r.info.run_name for r in runs] == ["run-5", "run-3"]
    runs = mlflow_client.search_runs([exp.experiment_id], "attributes.run_name LIKE 'run-%' and tags.group = 'g2'")
    assert sorted(r.info.run_name for r in runs) == ["run-4", "run-5", "run-6"]
    seen: list[str] = []
    token = None
    while True:
        page = mlflow_client.search_runs([exp.experiment_id], max_results=3, order_by=["metrics.score ASC"],
                                         page_token=token)
        seen += [r.info.run_name for r in page]
        token = page.token
        if not token:
            break
    assert seen == [f"run-{i}" for i in range(7)]
    df = mlflow.search_runs([exp.experiment_id], order_by=["metrics.score DESC"])
    assert list(df["tags.mlflow.runName"])[:2] == ["run-6", "run-5"]
    assert list(df["metrics.score"]) == [6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0]
    with pytest.raises(MlflowException):
        mlflow_client.search_runs([exp.experiment_id], "metrics.score > 1 OR 1=1")


def test_log_input_dataset(mlflow_client: MlflowClient) -> None:
    pd = pytest.importorskip("pandas")
    mlflow.set_experiment(_name("datasets"))
    df = pd.DataFrame({"x": [1, 2, 3], "y": [0, 1, 0]})
    dataset = mlflow.data.from_pandas(df, source="/data/iris.csv", name="toy", targets="y")
    with mlflow.start_run() as run:
        mlflow.log_input(dataset, context="training")
        mlflow.log_input(dataset, context="training")
    run_inputs = mlflow_client.get_run(run.info.run_id).inputs
    assert run_inputs is not None
    inputs = run_inputs.dataset_inputs
    assert len(inputs) == 1
    assert inputs[0].dataset.name == "toy" and inputs[0].dataset.digest == dataset.digest
    assert {t.key: t.value for t in inputs[0].tags}["mlflow.data.context"] == "training"
