"""MLflow-style dict access on entities: ``run.data.metrics["x"]``, ``experiment.tags["k"]``, ...

The ``*_list`` accessors keep the entity objects; the wire shape stays MLflow's lists.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tracklog.entities import (
    Experiment,
    ExperimentTag,
    LoggedModel,
    LoggedModelParameter,
    LoggedModelTag,
    Metric,
    Param,
    Run,
    RunData,
    RunTag,
)
from tracklog.store.sql.store import SqlStore


def _data() -> RunData:
    return RunData(
        metrics=[Metric("rmse", 0.5, 10, 3), Metric("acc", 0.9, 11, 1)],
        params=[Param("lr", "0.1")],
        tags=[RunTag("team", "ml")],
    )


def test_run_data_dicts_like_mlflow() -> None:
    data = _data()
    assert data.metrics == {"rmse": 0.5, "acc": 0.9}
    assert data.params == {"lr": "0.1"} and data.tags == {"team": "ml"}
    assert data.metrics["rmse"] == 0.5 and data.tags.get("missing") is None
    assert [m.key for m in data.metric_list] == ["rmse", "acc"]
    assert data.param_list == (Param("lr", "0.1"),) and data.tag_list == (RunTag("team", "ml"),)
    # both dict spellings stay available
    assert data.metric_dict == data.metrics_dict == data.metrics
    assert data.param_dict == data.params_dict == data.params
    assert data.tag_dict == data.tags_dict == data.tags
    # a caller mutating the dict it got does not change the frozen entity
    data.metrics["rmse"] = 99.0
    assert data.metrics["rmse"] == 0.5


def test_last_point_per_key_wins_like_mlflow() -> None:
    data = RunData(metrics=[Metric("a", 2.0, 2, 1), Metric("a", 1.0, 1, 0)])
    assert data.metrics == {"a": 1.0}


def test_wire_shape_unchanged() -> None:
    data = _data()
    wire = data.to_dict()
    assert wire["params"] == [{"key": "lr", "value": "0.1"}]
    assert wire["tags"] == [{"key": "team", "value": "ml"}]
    assert wire["metrics"][0] == {"key": "rmse", "value": 0.5, "timestamp": 10, "step": 3}
    assert RunData.from_dict(wire) == data
    assert RunData().to_dict() == {}


def test_replace_and_equality() -> None:
    data = _data()
    changed = dataclasses.replace(data, tag_list=(RunTag("x", "1"),))
    assert changed.tags == {"x": "1"} and changed.params == data.params
    assert hash(data) == hash(_data()) and data == _data()


def test_experiment_tags_dict() -> None:
    exp = Experiment("1", "e", "/a", tags=[ExperimentTag("k", "v")])
    assert exp.tags == {"k": "v"} and exp.tags["k"] == "v"
    assert exp.tag_list == (ExperimentTag("k", "v"),) and exp.tags_dict == exp.tag_dict == {"k": "v"}
    assert exp.to_dict()["tags"] == [{"key": "k", "value": "v"}]
    assert Experiment.from_dict(exp.to_dict()) == exp
    assert Experiment("1", "e", "/a", tags={"k": "v"}) == exp  # a dict works too


def test_logged_model_tags_and_params_dicts() -> None:
    model = LoggedModel("m-1", "1", "n", "/a", 1, 2, tags={"t": "1"}, params=[LoggedModelParameter("p", "2")],
                        metrics=[Metric("acc", 0.9, 1, 0)])
    assert model.tags == {"t": "1"} and model.params == {"p": "2"}
    assert model.tag_list == (LoggedModelTag("t", "1"),) and model.param_list == (LoggedModelParameter("p", "2"),)
    assert model.metrics == model.metric_list == (Metric("acc", 0.9, 1, 0),)  # a sequence, as in MLflow
    wire = model.to_dict()
    assert wire["info"]["tags"] == [{"key": "t", "value": "1"}]
    assert wire["data"]["params"] == [{"key": "p", "value": "2"}]
    assert LoggedModel.from_dict(wire) == model


def test_embedded_store_mlflow_style(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'db.sqlite'}", str(tmp_path / "art"))
    try:
        exp_id = store.create_experiment("e", tags=[ExperimentTag("owner", "me")])
        assert store.get_experiment(exp_id).tags["owner"] == "me"
        run = store.create_run(exp_id, "u", 1, tags=[RunTag("team", "ml")])
        rid = run.info.run_id
        store.log_batch(rid, metrics=[Metric("rmse", 1.0, 1, 0), Metric("rmse", 0.5, 2, 1)],
                        params=[Param("lr", "0.1")])
        got: Run = store.get_run(rid)
        assert got.data.metrics["rmse"] == 0.5 and got.data.params["lr"] == "0.1"
        assert got.data.tags["team"] == "ml"
        model = store.create_logged_model(exp_id, "m", tags=[LoggedModelTag("t", "1")],
                                          params=[LoggedModelParameter("alpha", "0.5")])
        fetched = store.get_logged_model(model.model_id)
        assert fetched.tags["t"] == "1" and fetched.params == {"alpha": "0.5"}
    finally:
        store.close()
