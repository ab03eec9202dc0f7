"""Models through a real ``tracklog server``: tracklog and the official mlflow client load each other's models."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression
from tests.integrations.conftest import env_without_tracking

import tracklog
import tracklog.pyfunc
import tracklog.sklearn
from tracklog.models import UntrustedModelError

pytestmark = pytest.mark.compat

Data = tuple[np.ndarray, np.ndarray]

QUICKSTART = textwrap.dedent(
    """
    import tracklog as mlflow
    from sklearn.datasets import make_regression
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.metrics import root_mean_squared_error
    from sklearn.model_selection import train_test_split

    X, y = make_regression(n_samples=120, n_features=4, noise=5.0, random_state=42)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=42)

    mlflow.set_experiment("energy_forecasting")

    with mlflow.start_run(run_name="baseline-rf") as run:
        params = {"n_estimators": 20, "max_depth": 4}
        model = RandomForestRegressor(**params).fit(X_train, y_train)

        mlflow.log_params(params)
        mlflow.log_metric("rmse", root_mean_squared_error(y_test, model.predict(X_test)))
        mlflow.sklearn.log_model(model, "model")
    """
)


@pytest.mark.parametrize("fmt", ["skops", "cloudpickle"])
def test_round_trip_through_server(remote: str, regression_data: Data, fmt: str) -> None:
    X, _ = regression_data
    model = RandomForestRegressor(n_estimators=3, max_depth=3, random_state=0).fit(*regression_data)
    with tracklog.start_run() as run:
        info = tracklog.sklearn.log_model(model, "model", serialization_format=fmt, input_example=X[:2])
    logged = tracklog.TrackingClient().store.get_logged_model(info.model_id)
    assert logged.artifact_uri.startswith("mlflow-artifacts:")
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/model"):
        np.testing.assert_allclose(tracklog.sklearn.load_model(uri).predict(X), model.predict(X))
    np.testing.assert_allclose(tracklog.pyfunc.load_model(info.model_uri).predict(X), model.predict(X))


@pytest.mark.parametrize("fmt", ["skops", "cloudpickle"])
def test_mlflow_loads_a_tracklog_model(remote: str, official_mlflow: Any, regression_data: Data, fmt: str) -> None:
    X, _ = regression_data
    model = RandomForestRegressor(n_estimators=3, max_depth=3, random_state=0).fit(*regression_data)
    with tracklog.start_run() as run:
        info = tracklog.sklearn.log_model(model, "model", serialization_format=fmt, input_example=X[:2])
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/model"):
        np.testing.assert_allclose(official_mlflow.sklearn.load_model(uri).predict(X), model.predict(X))
        np.testing.assert_allclose(official_mlflow.pyfunc.load_model(uri).predict(X), model.predict(X))


def test_tracklog_loads_an_mlflow_model(remote: str, official_mlflow: Any, regression_data: Data) -> None:
    X, _ = regression_data
    linear = LinearRegression().fit(*regression_data)
    forest = RandomForestRegressor(n_estimators=3, max_depth=3, random_state=0).fit(*regression_data)
    reqs = {"pip_requirements": ["scikit-learn"]}  # skips mlflow's slow requirements inference subprocess
    with official_mlflow.start_run() as run:
        linear_info = official_mlflow.sklearn.log_model(linear, name="linear", input_example=X[:2], **reqs)
        forest_info = official_mlflow.sklearn.log_model(
            forest, name="forest", skops_trusted_types=["sklearn.tree._tree.Tree"], **reqs
        )
        pickle_info = official_mlflow.sklearn.log_model(
            linear, name="pickled", serialization_format="cloudpickle", **reqs
        )
    for uri in (linear_info.model_uri, f"runs:/{run.info.run_id}/linear"):
        np.testing.assert_allclose(tracklog.sklearn.load_model(uri).predict(X), linear.predict(X))
        np.testing.assert_allclose(tracklog.pyfunc.load_model(uri).predict(X), linear.predict(X))
    # no hash recorded by mlflow: the file's own list of types is not trusted, the caller's is
    with pytest.raises(UntrustedModelError, match="sklearn.tree._tree.Tree"):
        tracklog.sklearn.load_model(forest_info.model_uri)
    trusted = tracklog.sklearn.load_model(forest_info.model_uri, trusted_types=["sklearn.tree._tree.Tree"])
    np.testing.assert_allclose(trusted.predict(X), forest.predict(X))
    with pytest.raises(UntrustedModelError, match="allow_pickle"):
        tracklog.sklearn.load_model(pickle_info.model_uri)
    unpickled = tracklog.sklearn.load_model(pickle_info.model_uri, allow_pickle=True)
    np.testing.assert_allclose(unpickled.predict(X), linear.predict(X))


def _check_quickstart_run(official_mlflow: Any | None) -> None:
    run = tracklog.last_active_run()
    assert run is not None and run.info.run_name == "baseline-rf"
    uri = f"runs:/{run.info.run_id}/model"
    X = np.random.default_rng(0).random((3, 4))
    expected = tracklog.sklearn.load_model(uri).predict(X)
    assert expected.shape == (3,)
    if official_mlflow is not None:
        np.testing.assert_allclose(official_mlflow.sklearn.load_model(uri).predict(X), expected)


def test_seed_quickstart_embedded(embedded: Path) -> None:
    exec(compile(QUICKSTART, "quickstart.py", "exec"), {})  # noqa: S102 - the seed script, verbatim
    _check_quickstart_run(None)


def test_seed_quickstart_against_server(remote: str, official_mlflow: Any) -> None:
    exec(compile(QUICKSTART, "quickstart.py", "exec"), {})  # noqa: S102
    _check_quickstart_run(official_mlflow)


def test_seed_quickstart_in_a_fresh_interpreter(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", QUICKSTART],
        cwd=tmp_path,
        env=env_without_tracking(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
