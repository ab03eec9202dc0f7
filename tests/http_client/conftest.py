"""Fixtures for the HTTP client tests: real ``mlflow server`` and ``tracklog server`` subprocesses.

Each server is started once per session (on a free port, with a SQLite backend and an
artifacts destination in a temporary folder), waited for on ``/health``, and stopped by
its process group at the end. A server that does not start fails its tests with the tail
of its log; it is never skipped.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
if importlib.util.find_spec("tracklog") is None:  # not installed: use the source tree
    sys.path.insert(0, str(ROOT / "src"))

from tracklog.client.transport import HttpSettings, HttpTransport, close_all  # noqa: E402
from tracklog.store.rest import RestStore  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
# A wedged server should fail its tests within minutes, not hang the session.
LIVE_SETTINGS = HttpSettings(read_timeout=60.0, max_retries=2, backoff_factor=0.2, retry_budget=10.0)
START_TIMEOUT_S = 300.0  # a loaded 2-core machine has needed over 100 s for mlflow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(kind: str, port: int, tmp: Path) -> list[str]:
    common = ["--host", "127.0.0.1", "--port", str(port)]
    if kind == "mlflow":
        return [str(VENV_BIN / "mlflow"), "server", *common,
                "--backend-store-uri", f"sqlite:///{tmp / 'mlflow.db'}",
                "--artifacts-destination", str(tmp / "art"), "--workers", "1"]
    args = ["server", *common, "--backend-store-uri", f"sqlite:///{tmp / 't.db'}",
            "--artifacts-destination", str(tmp / "art")]
    if (VENV_BIN / "tracklog").exists():
        return [str(VENV_BIN / "tracklog"), *args]
    launcher = "import sys; from tracklog.cli.main import main; sys.exit(main())"
    return [sys.executable, "-c", launcher, *args]


def _log_tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-4000:]
    except OSError:
        return ""


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)  # the group holds only this server and its workers
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@pytest.fixture(scope="session", params=["mlflow", "tracklog"])
def server_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextmanager
def running_server(kind: str, tmp: Path) -> Iterator[str]:
    """Start a ``kind`` server on a free port with its data in ``tmp``; yield its base URL."""
    port = _free_port()
    log_path = tmp / "server.log"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    for name in list(env):
        if name.startswith(("MLFLOW_TRACKING_", "TRACKLOG_TRACKING_")):
            del env[name]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(_command(kind, port, tmp), cwd=tmp, stdout=log,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"{kind} server exited with {proc.returncode}:\n{_log_tail(log_path)}")
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{kind} server did not answer /health:\n{_log_tail(log_path)}")
            time.sleep(0.25)
        yield url
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def server_url(server_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running server of ``server_kind``, shared by the session."""
    with running_server(server_kind, tmp_path_factory.mktemp(f"{server_kind}-server")) as url:
        yield url
    close_all()


@pytest.fixture
def live_http(server_url: str) -> Iterator[HttpTransport]:
    http = HttpTransport(server_url, LIVE_SETTINGS)
    yield http
    http.close()


@pytest.fixture
def store(server_url: str, live_http: HttpTransport) -> RestStore:
    return RestStore(server_url, transport=live_http)


@pytest.fixture
def experiment_id(store: RestStore) -> str:
    """A fresh experiment per test, so tests never see each other's data."""
    return store.create_experiment(f"exp-{uuid.uuid4().hex[:12]}")

