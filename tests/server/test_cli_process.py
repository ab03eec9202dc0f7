"""``tracklog server`` as a process: env-var aliases, several uvicorn workers, the printed URL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_workers_and_mlflow_env_aliases(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLOG_"))}
    env.update({
        "MLFLOW_PORT": str(port),
        "MLFLOW_BACKEND_STORE_URI": f"sqlite:///{tmp_path / 'db' / 't.db'}",
        "MLFLOW_ARTIFACTS_DESTINATION": str(tmp_path / "art"),
        "MLFLOW_WORKERS": "2",
        "MLFLOW_SERVER_ALLOWED_HOSTS": "tracker.example",
    })
    log = tmp_path / "log.txt"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "tracklog.cli.main", "server"], cwd=tmp_path, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/health", timeout=1).text == "OK":
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        ids = set()
        for i in range(6):
            r = httpx.post(f"{url}/api/2.0/mlflow/experiments/create", json={"name": f"e{i}"})
            assert r.status_code == 200, r.text
            ids.add(r.json()["experiment_id"])
        assert len(ids) == 6
        r = httpx.get(f"{url}/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"},
                      headers={"host": "tracker.example:80"})
        assert r.status_code == 200
        r = httpx.get(f"{url}/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"},
                      headers={"host": "evil.example"})
        assert r.status_code == 403
        assert f"open {url}/" in log.read_text()
        assert (tmp_path / "db" / "t.db").exists()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
