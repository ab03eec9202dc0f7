"""Fixtures for the ML integrations: an embedded store in a temp dir, a real server, the official client."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from tests.compat.conftest import CLIENT_ENV, ServerProcess, start_server, stop_server

from tracklog.client import fluent, uri

ENV_VARS = (
    *uri.TRACKING_URI_ENV_VARS,
    *uri.ARTIFACT_ROOT_ENV_VARS,
    *fluent.EXPERIMENT_ID_ENV_VARS,
    *fluent.EXPERIMENT_NAME_ENV_VARS,
    *fluent.RUN_ID_ENV_VARS,
)


def _reset() -> None:
    while fluent.active_run() is not None:
        fluent.end_run()
    fluent._reset_state()
    uri.set_tracking_uri(None)
    uri._clear_store_cache()


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """tracklog's default embedded store (./mlruns) in a fresh temp dir."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    _reset()
    yield tmp_path
    _reset()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("integrations-server")
    proc = start_server(folder, "--artifacts-destination", str(folder / "artifacts"))
    try:
        yield proc
    finally:
        stop_server(proc)


@pytest.fixture
def remote(server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """tracklog's fluent API pointed at the server."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    _reset()
    uri.set_tracking_uri(server.url)
    yield server.url
    _reset()


@pytest.fixture
def official_mlflow(server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The official mlflow module, pointed at the tracklog server."""
    for key, value in CLIENT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
    import mlflow

    mlflow.set_tracking_uri(server.url)
    # mlflow keeps the active experiment in a module global: an id set by an earlier test
    # (against another server) would otherwise be used here.
    mlflow.set_experiment(f"interop-{uuid.uuid4().hex[:12]}")
    yield mlflow
    while mlflow.active_run() is not None:
        mlflow.end_run()


@pytest.fixture(scope="session")
def regression_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.random((40, 3))
    return X, X @ np.array([1.0, 2.0, -1.0]) + 0.1 * rng.random(40)


@pytest.fixture(scope="session")
def classification_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    X = rng.random((60, 3))
    return X, (X[:, 0] + X[:, 1] > 1.0).astype(int)


def env_without_tracking() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLOG_"))}
