"""A real ``tracklog server`` subprocess driven by the official ``mlflow`` client.

The server (SQLite backend, proxied artifacts) lives for the session on a free
127.0.0.1 port. The client is configured to fail fast: no HTTP retries and a
short timeout, so a server bug fails a test instead of retrying for minutes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
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


@pytest.fixture(scope="session")
def mlflow_env(tracklog_server: ServerProcess) -> Iterator[str]:
    """Point the official client at the server for the whole session."""
    saved = {k: os.environ.get(k) for k in [*CLIENT_ENV, "MLFLOW_TRACKING_URI"]}
    os.environ.update(CLIENT_ENV)
    os.environ["MLFLOW_TRACKING_URI"] = tracklog_server.url
    import mlflow

    mlflow.set_tracking_uri(tracklog_server.url)
    try:
        yield tracklog_server.url
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def mlflow_client(mlflow_env: str) -> Iterator[object]:
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(mlflow_env)  # a module with its own server may have pointed mlflow elsewhere
    yield MlflowClient(tracking_uri=mlflow_env)
    while mlflow.active_run() is not None:
        mlflow.end_run()
