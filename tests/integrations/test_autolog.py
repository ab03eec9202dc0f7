"""scikit-learn autologging: real small fits, child runs for searches, exact restore on disable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import tracklog
import tracklog.autolog
import tracklog.sklearn
from tracklog.entities import Run

Data = tuple[np.ndarray, np.ndarray]
ORIGINALS = {
    cls: {name: cls.__dict__[name] for name in ("fit", "score", "fit_transform") if name in cls.__dict__}
    for cls in (
        LinearRegression,
        LogisticRegression,
        RandomForestClassifier,
        Pipeline,
        GridSearchCV,
        StandardScaler,
        RegressorMixin,
        ClassifierMixin,
        TransformerMixin,
    )
}


@pytest.fixture
def autologging(embedded: Path) -> Iterator[tracklog.TrackingClient]:
    tracklog.sklearn.autolog(log_models=True)
    try:
        yield tracklog.TrackingClient()
    finally:
        tracklog.sklearn.autolog(disable=True)


def _runs(client: tracklog.TrackingClient) -> list[Run]:
    return list(client.search_runs(["0"]))


def _only_run(client: tracklog.TrackingClient) -> Run:
    (run,) = _runs(client)
    return run


def test_linear_regression(autologging: tracklog.TrackingClient, regression_data: Data) -> None:
    model = LinearRegression().fit(*regression_data)
    assert tracklog.active_run() is None  # the run autolog started is ended again
    run = _only_run(autologging)
    assert run.info.status.value == "FINISHED"
    assert run.data.params_dict["fit_intercept"] == "True"
    tags = run.data.tags_dict
    assert tags["estimator_name"] == "LinearRegression"
    assert tags["estimator_class"] == "sklearn.linear_model._base.LinearRegression"
    metrics = run.data.metrics_dict
    for key in (
        "training_score",
        "training_mean_squared_error",
        "training_root_mean_squared_error",
        "training_mean_absolute_error",
        "training_r2_score",
    ):
        assert key in metrics
    assert metrics["training_r2_score"] == pytest.approx(model.score(*regression_data))
    loaded = tracklog.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_allclose(loaded.coef_, model.coef_)

    X, y = regression_data  # post-training metrics, logged to the training run, one step per call
    history = autologging.get_metric_history(run.info.run_id, "LinearRegression_score")
    assert [p.step for p in history] == [0]  # the score() call in the approx() above
    model.score(X[:10], y[:10])
    history = autologging.get_metric_history(run.info.run_id, "LinearRegression_score")
    assert [p.step for p in history] == [0, 1]
    assert history[1].value == pytest.approx(model.score(X[:10], y[:10]))


def test_classifier_inside_a_user_run(autologging: tracklog.TrackingClient, classification_data: Data) -> None:
    with tracklog.start_run() as active:
        RandomForestClassifier(n_estimators=3, max_depth=2, random_state=0).fit(*classification_data)
        assert tracklog.active_run() is not None
    run = _only_run(autologging)
    assert run.info.run_id == active.info.run_id
    assert run.data.params_dict["n_estimators"] == "3"
    for key in ("training_accuracy_score", "training_precision_score", "training_recall_score", "training_f1_score"):
        assert 0.0 <= run.data.metrics_dict[key] <= 1.0
    (model,) = autologging.store.search_logged_models([run.info.experiment_id])
    assert model.source_run_id == run.info.run_id
    assert tracklog.sklearn.load_model(model.model_uri).n_estimators == 3  # hash-verified: Tree type trusted


def test_pipeline_logs_once(autologging: tracklog.TrackingClient, classification_data: Data) -> None:
    Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]).fit(*classification_data)
    run = _only_run(autologging)
    assert run.data.tags_dict["estimator_name"] == "Pipeline"
    assert run.data.params_dict["clf__C"] == "1.0"
    assert "training_accuracy_score" in run.data.metrics_dict
    assert len(autologging.store.search_logged_models([run.info.experiment_id])) == 1


def test_grid_search_logs_child_runs(autologging: tracklog.TrackingClient, classification_data: Data) -> None:
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0, 10.0]}, cv=2).fit(*classification_data)
    runs = _runs(autologging)
    (parent,) = [r for r in runs if "mlflow.parentRunId" not in r.data.tags_dict]
    children = [r for r in runs if r.data.tags_dict.get("mlflow.parentRunId") == parent.info.run_id]
    assert len(runs) == 4 and len(children) == 3
    assert sorted(float(c.data.params_dict["C"]) for c in children) == [0.1, 1.0, 10.0]
    assert all("mean_test_score" in c.data.metrics_dict for c in children)
    assert parent.data.params_dict["best_C"] == str(search.best_params_["C"])
    assert parent.data.metrics_dict["best_cv_score"] == pytest.approx(search.best_score_)
    assert parent.data.tags_dict["estimator_name"] == "GridSearchCV"
    (model,) = autologging.store.search_logged_models([parent.info.experiment_id])
    assert model.source_run_id == parent.info.run_id


def test_fit_errors_propagate_and_fail_the_run(autologging: tracklog.TrackingClient) -> None:
    with pytest.raises(ValueError):
        LinearRegression().fit(np.zeros((3, 2)), np.zeros(5))
    assert _only_run(autologging).info.status.value == "FAILED"


def test_disable_restores_the_original_functions(embedded: Path, regression_data: Data) -> None:
    tracklog.autolog()  # type: ignore[operator]  # the generic switch is a callable module
    assert LinearRegression.__dict__["fit"] is not ORIGINALS[LinearRegression]["fit"]
    tracklog.autolog(disable=True)  # type: ignore[operator]
    for cls, originals in ORIGINALS.items():
        for name, original in originals.items():
            assert cls.__dict__[name] is original, f"{cls.__name__}.{name}"
    assert not any(getattr(f, "__wrapped__", None) for f in (BaseEstimator.__dict__.get("fit"),) if f)
    LinearRegression().fit(*regression_data)
    assert _runs(tracklog.TrackingClient()) == []
