"""Concurrent get-or-create of one experiment name, and concurrent run creation.

50 processes call ``set_experiment`` of the same new name at the same moment, with the official
mlflow client and with tracklog's, against a server with two worker processes on SQLite and on
PostgreSQL: exactly one experiment exists afterwards and every process got its id. Raw concurrent
``experiments/create`` calls get one 200 and RESOURCE_ALREADY_EXISTS for the rest (never a 500);
50 concurrent ``runs/create`` with one run name make 50 distinct runs.
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

pytestmark = pytest.mark.xdist_group("faults-race")

API = "/api/2.0/mlflow"
PROCESSES = 50
SCRIPT = Path(__file__).with_name("race_set_experiment.py")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("race")
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp / 'db' / 'tracking.db'}"
    else:
        uri = str(request.getfixturevalue("module_pg_database"))
    srv = ServerProcess(tmp / "srv", uri, workers=2)
    srv.start()
    yield srv
    srv.stop()


def _experiments_named(url: str, name: str) -> list[str]:
    r = httpx.post(f"{url}{API}/experiments/search",
                   json={"filter": f"name = '{name}'", "max_results": 1000, "view_type": "ALL"}, timeout=30)
    r.raise_for_status()
    return [e["experiment_id"] for e in r.json().get("experiments", [])]


@pytest.mark.parametrize("flavor", ["mlflow", "tracklog"])
def test_concurrent_set_experiment_makes_one(server: ServerProcess, flavor: str) -> None:
    name = f"race-{flavor}-{uuid.uuid4().hex[:8]}"
    result = subprocess.run([sys.executable, str(SCRIPT), server.url, name, str(PROCESSES), flavor],
                            capture_output=True, text=True, timeout=300, env=clean_env())
    assert result.returncode == 0, result.stderr[-3000:]
    answers = result.stdout.split()
    errors = [line for line in result.stdout.splitlines() if line.startswith("ERROR")]
    assert not errors, errors[:5]
    assert len(answers) == PROCESSES
    ids = _experiments_named(server.url, name)
    assert len(ids) == 1, f"{len(ids)} experiments named {name!r}"
    assert set(answers) == set(ids)
    assert "Unhandled error" not in server.log_text()


def _together(count: int, call: object) -> list[httpx.Response]:
    """Run ``call(client)`` in ``count`` threads released at the same moment."""
    assert callable(call)
    barrier = threading.Barrier(count)
    out: list[httpx.Response] = []
    lock = threading.Lock()

    def target() -> None:
        with httpx.Client(timeout=60) as client:
            barrier.wait(timeout=60)
            response = call(client)
        with lock:
            out.append(response)

    threads = [threading.Thread(target=target) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return out


def test_concurrent_create_answers_already_exists(server: ServerProcess) -> None:
    name = f"create-{uuid.uuid4().hex[:8]}"
    responses = _together(PROCESSES, lambda c: c.post(f"{server.url}{API}/experiments/create",
                                                      json={"name": name}))
    ok = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code != 200]
    assert len(ok) == 1, [r.text for r in responses if r.status_code not in (200, 400)][:3]
    assert {(r.status_code, r.json()["error_code"]) for r in refused} <= {(400, "RESOURCE_ALREADY_EXISTS")}
    assert _experiments_named(server.url, name) == [ok[0].json()["experiment_id"]]


def test_concurrent_create_run_makes_one_run_per_request(server: ServerProcess) -> None:
    r = httpx.post(f"{server.url}{API}/experiments/create", json={"name": f"runs-{uuid.uuid4().hex[:8]}"},
                   timeout=30)
    r.raise_for_status()
    exp = r.json()["experiment_id"]
    responses = _together(PROCESSES, lambda c: c.post(f"{server.url}{API}/runs/create", json={
        "experiment_id": exp, "run_name": "same-name", "tags": [{"key": "k", "value": "v"}]}))
    assert [r.status_code for r in responses] == [200] * PROCESSES
    created = {r.json()["run"]["info"]["run_id"] for r in responses}
    assert len(created) == PROCESSES
    r = httpx.post(f"{server.url}{API}/runs/search", json={"experiment_ids": [exp], "max_results": 1000},
                   timeout=30)
    runs = r.json()["runs"]
    assert {run["info"]["run_id"] for run in runs} == created
    assert all(run["info"]["run_name"] == "same-name" for run in runs)
    assert all({"key": "k", "value": "v"} in run["data"]["tags"] for run in runs)
