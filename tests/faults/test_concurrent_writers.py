"""64 concurrent writers on one run for 30 s, on SQLite, PostgreSQL and MariaDB.

The server runs two uvicorn worker processes (so SQLite sees writers from several processes).
Each writer logs its own metric (step = sequence number), a point of one metric shared by all
writers, a tag it overwrites and a new param, in one log-batch per request. Afterwards every
point is stored exactly once, the latest values are the right ones, every request was answered
200, and the server never reported "database is locked".

``TRACKLOG_FAULT_WRITE_SECONDS`` shortens (or lengthens) the 30 s write phase.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.faults.processes import ServerProcess

pytestmark = pytest.mark.xdist_group("faults-heavy")

API = "/api/2.0/mlflow"
WRITERS = 64
SECONDS = float(os.environ.get("TRACKLOG_FAULT_WRITE_SECONDS", "30"))
SHARED_STRIDE = 1_000_000


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres),
                        pytest.param("mariadb", marks=pytest.mark.mysql)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path / 'db' / 'tracking.db'}"
    elif request.param == "postgresql":
        uri = str(request.getfixturevalue("shared_pg_database"))
    else:
        uri = str(request.getfixturevalue("shared_mysql_database"))
    srv = ServerProcess(tmp_path / "srv", uri, workers=2)
    srv.start()
    yield srv
    srv.stop()


class _Writer(threading.Thread):
    def __init__(self, url: str, run_id: str, index: int, until: float) -> None:
        super().__init__(name=f"w{index}", daemon=True)
        self.url, self.run_id, self.index, self.until = url, run_id, index, until
        self.acked: list[int] = []
        self.failures: list[str] = []
        self.resent: list[str] = []

    def run(self) -> None:
        i = self.index
        seq = 0
        with httpx.Client(timeout=60) as client:
            while seq < 3 or time.monotonic() < self.until:  # at least a few requests each
                body = {
                    "run_id": self.run_id,
                    "metrics": [
                        {"key": f"w{i}", "value": float(seq), "timestamp": 1000 + seq, "step": seq},
                        {"key": "shared", "value": float(i * SHARED_STRIDE + seq), "timestamp": 1000,
                         "step": i * SHARED_STRIDE + seq},
                    ],
                    "params": [{"key": f"p{i}_{seq}", "value": str(seq)}],
                    "tags": [{"key": f"w{i}", "value": str(seq)}],
                }
                r = None
                for _attempt in range(3):
                    try:
                        r = client.post(f"{self.url}{API}/runs/log-batch", json=body)
                        break
                    except httpx.TransportError as exc:
                        # An idle keep-alive connection closed by the server as the request went
                        # out (a loaded machine can stall a thread past uvicorn's 5 s keep-alive):
                        # log-batch is idempotent, so send it again, as real clients do.
                        self.resent.append(repr(exc))
                if r is None:
                    self.failures.append(f"no answer after 3 attempts: {self.resent[-1]}")
                    return
                if r.status_code != 200:
                    self.failures.append(f"{r.status_code} {r.text[:200]}")
                    return
                self.acked.append(seq)
                seq += 1


def _history(client: httpx.Client, run_id: str, key: str) -> list[dict[str, object]]:
    points: list[dict[str, object]] = []
    token = None
    while True:
        params: dict[str, str | int] = {"run_id": run_id, "metric_key": key, "max_results": 25000}
        if token:
            params["page_token"] = token
        r = client.get(f"{API}/metrics/get-history", params=params)
        r.raise_for_status()
        body = r.json()
        points.extend(body.get("metrics", []))
        token = body.get("next_page_token")
        if not token:
            return points


def test_64_writers_on_one_run(server: ServerProcess) -> None:
    r = httpx.post(f"{server.url}{API}/experiments/create", json={"name": "writers"}, timeout=30)
    r.raise_for_status()
    r = httpx.post(f"{server.url}{API}/runs/create", json={"experiment_id": r.json()["experiment_id"]},
                   timeout=30)
    r.raise_for_status()
    run_id = r.json()["run"]["info"]["run_id"]

    workers_before = server.child_pids()
    assert len(workers_before) >= 2
    until = time.monotonic() + SECONDS
    writers = [_Writer(server.url, run_id, i, until) for i in range(WRITERS)]
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=SECONDS + 120)
    assert server.child_pids() == workers_before, "a worker process died and was replaced"
    failures = {w.name: w.failures for w in writers if w.failures}
    assert not failures, failures

    with httpx.Client(base_url=server.url, timeout=120) as client:
        for w in writers:
            steps = [int(str(m["step"])) for m in _history(client, run_id, w.name)]
            assert sorted(steps) == w.acked, f"{w.name}: stored steps differ from acknowledged ones"
        shared = [int(str(m["step"])) for m in _history(client, run_id, "shared")]
        expected = sorted(w.index * SHARED_STRIDE + s for w in writers for s in w.acked)
        assert sorted(shared) == expected

        r = client.get(f"{API}/runs/get", params={"run_id": run_id})
        r.raise_for_status()
        data = r.json()["run"]["data"]
    latest = {m["key"]: (m["value"], m["step"]) for m in data["metrics"]}
    tags = {t["key"]: t["value"] for t in data["tags"]}
    params = {p["key"] for p in data["params"]}
    for w in writers:
        last = w.acked[-1]
        assert latest[w.name] == (float(last), last), w.name
        assert tags[w.name] == str(last), w.name
    top = max(expected)
    assert latest["shared"] == (float(top), top)
    assert params == {f"p{w.index}_{s}" for w in writers for s in w.acked}
    total = sum(len(w.acked) for w in writers)
    assert total > WRITERS, f"only {total} requests in {SECONDS} s"
    log = server.log_text()
    assert "database is locked" not in log
    assert "Traceback" not in log, log[-3000:]
    resent = sum(len(w.resent) for w in writers)
    assert resent <= WRITERS, f"{resent} requests had to be sent again"
    assert "Unhandled error" not in log, log[-3000:]
