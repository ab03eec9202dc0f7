"""A real ``mlflow server`` (SQLite backend, proxied artifacts) filled once per session
by the official ``mlflow`` client, and helpers that snapshot a store for comparison."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.http_client.conftest import running_server

HERE = Path(__file__).resolve().parent
CLIENT_ENV = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "120",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "GIT_PYTHON_REFRESH": "quiet",
}


@dataclass(frozen=True)
class FilledMlflow:
    url: str
    db_uri: str  # the server's SQLite database
    artifacts: Path  # its --artifacts-destination
    facts: dict[str, str]


def _fill(tracking_uri: str, cwd: Path, **extra_env: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLOG_"))}
    env.update(CLIENT_ENV, MLFLOW_TRACKING_URI=tracking_uri, **extra_env)
    done = subprocess.run(
        [sys.executable, str(HERE / "fill_mlflow.py")], env=env, cwd=cwd,
        capture_output=True, text=True, timeout=600,
    )
    if done.returncode != 0:
        pytest.fail(f"filling {tracking_uri} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    facts: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return facts


@pytest.fixture(scope="session")
def mlflow_file_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ``mlruns/`` folder filled by the official client (file store, allowed explicitly)."""
    folder = tmp_path_factory.mktemp("mlflow-files")
    _fill((folder / "mlruns").as_uri(), folder, MLFLOW_ALLOW_FILE_STORE="true")
    return folder / "mlruns"


@pytest.fixture(scope="session")
def mlflow_source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FilledMlflow]:
    folder = tmp_path_factory.mktemp("mlflow-source")
    with running_server("mlflow", folder) as url:
        facts = _fill(url, folder)
        yield FilledMlflow(url, f"sqlite:///{folder / 'mlflow.db'}", folder / "art", facts)
