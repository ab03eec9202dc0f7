"""Two ``tracklog server`` processes on one PostgreSQL database and one artifact directory, behind
a real nginx that spreads requests round robin across them.

Clients that talk to nginx see one consistent tracker: 50 processes racing ``set_experiment``
(official mlflow client) get one experiment; writers whose requests alternate between the
servers lose no point; artifacts uploaded through one server download whole through the other;
and reading directly from either server gives identical answers.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.faults.processes import ServerProcess, clean_env
from tests.nginx import run_nginx, upstream_block

pytestmark = [pytest.mark.xdist_group("faults-race"), pytest.mark.postgres]

API = "/api/2.0/mlflow"
SCRIPT = Path(__file__).with_name("race_set_experiment.py")
WRITERS = 8
BATCHES = 40


@pytest.fixture
def servers(tmp_path: Path, shared_pg_database: str) -> Iterator[list[ServerProcess]]:
    artifacts = tmp_path / "shared-artifacts"
    group = [ServerProcess(tmp_path / f"srv{i}", shared_pg_database, artifacts=artifacts) for i in range(2)]
    try:
        for srv in group:
            srv.start()
        yield group
    finally:
        for srv in group:
            srv.stop()


@pytest.fixture
def proxy(servers: list[ServerProcess], tmp_path: Path) -> Iterator[str]:
    location = """
        location / {
            proxy_pass http://tracklog;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_request_buffering off;
            proxy_buffering off;
            proxy_read_timeout 120s;
        }
    """
    with run_nginx(location, http=upstream_block("tracklog", [s.port for s in servers]),
                   directory=tmp_path / "nginx") as url:
        yield url


def _run_id(client: httpx.Client, experiment_id: str) -> str:
    r = client.post(f"{API}/runs/create", json={"experiment_id": experiment_id})
    r.raise_for_status()
    return str(r.json()["run"]["info"]["run_id"])


def _history(url: str, run_id: str, key: str) -> list[tuple[int, float]]:
    r = httpx.get(f"{url}{API}/metrics/get-history",
                  params={"run_id": run_id, "metric_key": key, "max_results": 25000}, timeout=60)
    r.raise_for_status()
    return sorted((int(m["step"]), float(m["value"])) for m in r.json().get("metrics", []))


def test_two_servers_behind_nginx(servers: list[ServerProcess], proxy: str, tmp_path: Path) -> None:
    # 1. Racing set_experiment through the proxy: one experiment.
    name = f"nginx-race-{uuid.uuid4().hex[:8]}"
    race = subprocess.run([sys.executable, str(SCRIPT), proxy, name, "50", "mlflow"],
                          capture_output=True, text=True, timeout=300, env=clean_env())
    assert race.returncode == 0, race.stderr[-3000:]
    answers = race.stdout.split()
    assert not [a for a in race.stdout.splitlines() if a.startswith("ERROR")], race.stdout[-2000:]
    assert len(answers) == 50 and len(set(answers)) == 1, sorted(set(answers))
    experiment_id = answers[0]

    # 2. Writers whose requests alternate between the two servers.
    with httpx.Client(base_url=proxy, timeout=60) as client:
        run_ids = [_run_id(client, experiment_id) for _ in range(WRITERS)]
    failures: list[str] = []

    def write(run_id: str) -> None:
        with httpx.Client(base_url=proxy, timeout=60) as client:
            for b in range(BATCHES):
                metrics = [{"key": "loss", "value": float(b * 10 + s), "timestamp": 1, "step": b * 10 + s}
                           for s in range(10)]
                r = client.post(f"{API}/runs/log-batch", json={
                    "run_id": run_id, "metrics": metrics, "tags": [{"key": "batch", "value": str(b)}],
                    "params": [{"key": f"p{b}", "value": str(b)}]})
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text[:200]}")
                    return

    threads = [threading.Thread(target=write, args=(rid,)) for rid in run_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not failures, failures[:3]

    # 3. An artifact through the proxy, read back whole from each server directly.
    payload = bytes(range(256)) * 40_000  # ~10 MB
    art = f"/api/2.0/mlflow-artifacts/artifacts/{experiment_id}/{run_ids[0]}/artifacts/blob.bin"
    r = httpx.put(f"{proxy}{art}", content=payload, timeout=120)
    assert r.status_code == 200, r.text

    expected = [(s, float(s)) for s in range(BATCHES * 10)]
    for url in [proxy, *(s.url for s in servers)]:
        for rid in run_ids:
            assert _history(url, rid, "loss") == expected, f"history of {rid} differs on {url}"
            r = httpx.get(f"{url}{API}/runs/get", params={"run_id": rid}, timeout=30)
            data = r.json()["run"]["data"]
            assert {m["key"]: m["value"] for m in data["metrics"]} == {"loss": float(BATCHES * 10 - 1)}
            assert {t["key"]: t["value"] for t in data["tags"]}["batch"] == str(BATCHES - 1)
            assert len(data["params"]) == BATCHES
        r = httpx.get(f"{url}{art}", timeout=120)
        assert r.status_code == 200 and r.content == payload, url
        r = httpx.post(f"{url}{API}/experiments/search",
                       json={"filter": f"name = '{name}'", "max_results": 10}, timeout=30)
        assert [e["experiment_id"] for e in r.json()["experiments"]] == [experiment_id]

    # nginx really spread the requests over both servers.
    access = (tmp_path / "nginx" / "access.log").read_text()
    for srv in servers:
        assert f"upstream=127.0.0.1:{srv.port}" in access, f"server {srv.port} got no request"
    for srv in servers:
        assert "Unhandled error" not in srv.log_text()
