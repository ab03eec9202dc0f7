"""A real ``tracklog server --auth`` process driven by the official mlflow client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

ADMIN = ("admin", "admin-password-0")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("auth-server")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLOG_"))}
    env.update({"TRACKLOG_ADMIN_USERNAME": ADMIN[0], "TRACKLOG_ADMIN_PASSWORD": ADMIN[1]})
    cmd = [sys.executable, "-m", "tracklog.cli.main", "server", "--auth", "--port", str(port),
           "--backend-store-uri", f"sqlite:///{tmp / 't.db'}", "--artifacts-destination", str(tmp / "art")]
    log = tmp / "log.txt"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/health", timeout=1).text == "OK":
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _mlflow(url: str, env: dict[str, str], script: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    full.update(env)
    full["MLFLOW_TRACKING_URI"] = url
    full["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    return subprocess.run([sys.executable, "-c", script], env=full, capture_output=True, text=True, timeout=120)


LOG_RUN = """
import mlflow
mlflow.set_experiment("client-exp")
with mlflow.start_run() as run:
    mlflow.log_metric("m", 1.0)
    mlflow.log_param("p", "v")
    mlflow.log_text("hello", "notes/a.txt")
print("RUN", run.info.run_id, run.info.experiment_id)
"""


def test_official_client_with_basic_and_token(server: str) -> None:
    admin = httpx.BasicAuth(*ADMIN)
    r = httpx.post(f"{server}/api/2.0/mlflow/users/create", auth=admin,
                   json={"username": "alice", "password": "alice-password-1"})
    assert r.status_code == 200, r.text
    r = httpx.post(f"{server}/api/2.0/mlflow/users/create", auth=admin,
                   json={"username": "eve", "password": "eve-password-12"})
    assert r.status_code == 200

    done = _mlflow(server, {"MLFLOW_TRACKING_USERNAME": "alice", "MLFLOW_TRACKING_PASSWORD": "alice-password-1"},
                   LOG_RUN)
    assert done.returncode == 0, done.stderr[-3000:]
    _, run_id, experiment_id = done.stdout.split()[-3:]

    token = httpx.post(f"{server}/api/2.0/tracklog/tokens/create", auth=httpx.BasicAuth("alice", "alice-password-1"),
                       json={"name": "client"}).json()["token"]
    read_back = f"""
import mlflow
client = mlflow.MlflowClient()
run = client.get_run("{run_id}")
assert run.data.metrics == {{"m": 1.0}}, run.data.metrics
print(mlflow.artifacts.load_text("runs:/{run_id}/notes/a.txt"))
"""
    done = _mlflow(server, {"MLFLOW_TRACKING_TOKEN": token}, read_back)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "hello" in done.stdout

    forbidden = f"""
import mlflow
from mlflow.exceptions import MlflowException
client = mlflow.MlflowClient()
try:
    client.log_metric("{run_id}", "m", 2.0)
except MlflowException as exc:
    print("DENIED", exc.error_code)
"""
    done = _mlflow(server, {"MLFLOW_TRACKING_USERNAME": "eve", "MLFLOW_TRACKING_PASSWORD": "eve-password-12"},
                   forbidden)
    assert "DENIED PERMISSION_DENIED" in done.stdout, (done.stdout, done.stderr[-3000:])

    # mlflow.server.auth's package __init__ needs Flask-WTF (mlflow[auth]) just to import;
    # the client module itself does not use it, so a stand-in module is enough here.
    grant = f"""
import sys, types
if "flask_wtf" not in sys.modules:
    try:
        import flask_wtf.csrf
    except ImportError:
        csrf = types.ModuleType("flask_wtf.csrf")
        csrf.CSRFProtect = type("CSRFProtect", (), {{}})
        sys.modules["flask_wtf"] = types.ModuleType("flask_wtf")
        sys.modules["flask_wtf.csrf"] = csrf
from mlflow.server.auth.client import AuthServiceClient
client = AuthServiceClient("{server}")
print(client.get_user("eve").username)
client.grant_user_permission("eve", "experiment", "{experiment_id}", "READ")
print(client.get_user_permission("eve", "experiment", "{experiment_id}").permission)
"""
    done = _mlflow(server, {"MLFLOW_TRACKING_USERNAME": "alice", "MLFLOW_TRACKING_PASSWORD": "alice-password-1"},
                   grant)
    assert done.returncode != 0  # alice is not an admin: get_user("eve") is refused
    done = _mlflow(server, {"MLFLOW_TRACKING_USERNAME": ADMIN[0], "MLFLOW_TRACKING_PASSWORD": ADMIN[1]}, grant)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["eve", "READ"]
    r = httpx.get(f"{server}/api/2.0/mlflow/runs/get", params={"run_id": run_id},
                  auth=httpx.BasicAuth("eve", "eve-password-12"))
    assert r.status_code == 200
    assert httpx.get(f"{server}/api/2.0/mlflow/runs/get", params={"run_id": run_id}).status_code == 401
