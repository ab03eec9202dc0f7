"""A real ``tracklog server`` subprocess driven by the official ``mlflow`` client.

The server (SQLite backend, proxied artifacts) lives for the session on a free
127.0.0.1 port. For each test the client is configured to fail fast: no HTTP
retries and a short timeout, so a server bug fails a test instead of retrying
for minutes. Those settings are per test: nothing set here outlives the test
(an autouse check fails a test that leaves ``os.environ`` changed).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

CLIENT_ENV = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "GIT_PYTHON_REFRESH": "quiet",
}
# Variables mlflow itself writes into os.environ when pointed somewhere.
MLFLOW_WRITES = ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    def __init__(self, url: str, proc: subprocess.Popen[bytes], folder: Path, ready_s: float) -> None:
        self.url = url
        self.proc = proc
        self.folder = folder
        self.ready_s = ready_s


def start_server(folder: Path, *extra: str) -> ServerProcess:
    """Start ``tracklog server`` in ``folder`` on a free port and wait for /health."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLOG_"))}
    cmd = [sys.executable, "-m", "tracklog.cli.main", "server", "--port", str(port),
           "--backend-store-uri", f"sqlite:///{folder / 'tracking.db'}", *extra]
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - closed by stop_server
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = started + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=1).text == "OK":
                return ServerProcess(url, proc, folder, time.monotonic() - started)
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail("tracklog server did not start:\n" + (folder / "server.log").read_text(errors="replace"))


def stop_server(server: ServerProcess) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.proc.kill()


@pytest.fixture(scope="session")
def tracklog_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("compat-server")
    server = start_server(folder, "--artifacts-destination", str(folder / "artifacts"))
    try:
        yield server
    finally:
        stop_server(server)


def _client_settings() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k in CLIENT_ENV or k.startswith(("MLFLOW_", "TRACKLOG_"))}


@pytest.fixture(autouse=True)
def _no_client_settings_leak() -> Iterator[None]:
    """Every compat test leaves the clients' settings in ``os.environ`` as it found them.

    Checked after the test's own fixtures are torn down. Session-scoped fixtures are set up
    before this snapshot, so they must not touch the environment at all: what they set would
    stay in force for every later suite on the xdist worker."""
    before = _client_settings()
    yield
    after = _client_settings()
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert not changed, f"test left client settings behind in os.environ: {sorted(changed)}"


@contextmanager
def official_client_at(url: str) -> Iterator[None]:
    """Point the official client at ``url`` (fail-fast settings, tracking URI) and put everything back.

    mlflow writes ``MLFLOW_TRACKING_URI`` (``set_tracking_uri``) and ``MLFLOW_EXPERIMENT_ID``
    (``set_experiment``) into ``os.environ`` and keeps both in module globals; all of them are restored."""
    import mlflow
    from mlflow.tracking import fluent
    from mlflow.tracking._tracking_service import utils as tracking_utils

    saved_env = {k: os.environ.get(k) for k in [*CLIENT_ENV, *MLFLOW_WRITES]}
    saved_uri, saved_experiment = tracking_utils._tracking_uri, fluent._active_experiment_id
    os.environ.update(CLIENT_ENV)
    mlflow.set_tracking_uri(url)
    try:
        yield
    finally:
        while mlflow.active_run() is not None:
            mlflow.end_run()
        tracking_utils.set_tracking_uri(saved_uri)  # type: ignore[arg-type]  # None means "unset", as in mlflow
        fluent._active_experiment_id = saved_experiment
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def mlflow_env(tracklog_server: ServerProcess) -> Iterator[str]:
    """Point the official client at the session server for one test (nothing outlives the test)."""
    with official_client_at(tracklog_server.url):
        yield tracklog_server.url


@pytest.fixture
def mlflow_client(mlflow_env: str) -> Iterator[object]:
    from mlflow import MlflowClient

    yield MlflowClient(tracking_uri=mlflow_env)
