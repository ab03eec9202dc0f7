"""MLflow-style dicts through a real server: tracklog's client sees what MLflow's client sees."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tracklog.client.tracking import TrackingClient
from tracklog.entities import LoggedModelParameter, LoggedModelTag, Metric

pytestmark = pytest.mark.compat


def test_tracklog_client_matches_mlflow_client(mlflow_client: Any, mlflow_env: str) -> None:
    ours = TrackingClient(tracking_uri=mlflow_env)
    exp_id = mlflow_client.create_experiment(f"dicts-{uuid.uuid4().hex[:8]}", tags={"owner": "me"})
    run = mlflow_client.create_run(exp_id, tags={"team": "ml"})
    rid = run.info.run_id
    mlflow_client.log_param(rid, "lr", "0.1")
    mlflow_client.log_metric(rid, "rmse", 1.0, step=0, timestamp=1)
    mlflow_client.log_metric(rid, "rmse", 0.5, step=1, timestamp=2)
    ours.log_metric(rid, "acc", 0.9, step=3, synchronous=True)

    theirs_run, our_run = mlflow_client.get_run(rid), ours.get_run(rid)
    assert our_run.data.metrics["rmse"] == 0.5 and our_run.data.params["lr"] == "0.1"
    assert our_run.data.tags["team"] == "ml"
    assert our_run.data.metrics == theirs_run.data.metrics == {"rmse": 0.5, "acc": 0.9}
    assert our_run.data.params == theirs_run.data.params
    assert our_run.data.tags == theirs_run.data.tags
    assert ours.get_experiment(exp_id).tags["owner"] == "me"
    assert ours.get_experiment(exp_id).tags == mlflow_client.get_experiment(exp_id).tags

    model = ours.store.create_logged_model(exp_id, "m", source_run_id=rid, tags=[LoggedModelTag("t", "1")],
                                           params=[LoggedModelParameter("alpha", "0.5")])
    ours.store.log_batch(rid, metrics=[Metric("val", 0.7, 5, 0, model_id=model.model_id)])
    our_model = ours.store.get_logged_model(model.model_id)
    their_model = mlflow_client.get_logged_model(model.model_id)
    assert our_model.tags["t"] == "1" and our_model.params["alpha"] == "0.5"
    assert our_model.tags == their_model.tags and our_model.params == their_model.params
    assert [(m.key, m.value) for m in our_model.metrics] == [(m.key, m.value) for m in their_model.metrics]
