"""kill -9 of the server in the middle of log-batch requests and of a large artifact upload.

After a restart every batch is either fully present or fully absent (and every acknowledged one
is present), and no half-written artifact is visible: neither listed nor downloadable, and an
older complete version of the file survives an interrupted overwrite.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.faults.processes import ServerProcess, wait_until

pytestmark = pytest.mark.xdist_group("faults-kill")

API = "/api/2.0/mlflow"
METRIC_KEYS = 8
STEPS_PER_BATCH = 100  # 8 keys x 100 steps = 800 metrics + 100 params + 100 tags = 1000 (the batch limit)
SENDERS = 4
KILL_CYCLES = 2


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'tracking.db'}"
    return str(request.getfixturevalue("shared_pg_database"))


@pytest.fixture
def server(tmp_path: Path, backend_uri: str) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path / "srv", backend_uri)
    srv.start()
    yield srv
    srv.stop()


def _create_run(url: str) -> tuple[str, str]:
    r = httpx.post(f"{url}{API}/experiments/create", json={"name": f"kill-{time.monotonic_ns()}"}, timeout=30)
    r.raise_for_status()
    exp = r.json()["experiment_id"]
    r = httpx.post(f"{url}{API}/runs/create", json={"experiment_id": exp, "start_time": 0}, timeout=30)
    r.raise_for_status()
    return exp, r.json()["run"]["info"]["run_id"]


def _batch(run_id: str, n: int) -> dict[str, object]:
    metrics = [{"key": f"m{k}", "value": float(n * STEPS_PER_BATCH + s), "timestamp": n,
                "step": n * STEPS_PER_BATCH + s}
               for k in range(METRIC_KEYS) for s in range(STEPS_PER_BATCH)]
    params = [{"key": f"p{n}_{j}", "value": str(j)} for j in range(100)]
    tags = [{"key": f"t{n}_{j}", "value": str(n)} for j in range(100)]
    return {"run_id": run_id, "metrics": metrics, "params": params, "tags": tags}


class _Senders:
    """Threads sending numbered batches until stopped; records acknowledged and failed numbers."""

    def __init__(self, url: str, run_id: str) -> None:
        self.url, self.run_id = url, run_id
        self.acked: set[int] = set()
        self.failed: set[int] = set()
        self._next = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(SENDERS)]

    def _take(self) -> int:
        with self._lock:
            self._next += 1
            return self._next - 1

    def _loop(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                n = self._take()
                try:
                    r = client.post(f"{self.url}{API}/runs/log-batch", json=_batch(self.run_id, n))
                except httpx.TransportError:
                    with self._lock:
                        self.failed.add(n)
                    time.sleep(0.05)
                    continue
                with self._lock:
                    (self.acked if r.status_code == 200 else self.failed).add(n)

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=60)


def _batches_present(url: str, run_id: str) -> dict[int, set[str]]:
    """Batch number -> which parts of it are stored ("m<key>", "params", "tags" and their counts)."""
    parts: dict[int, set[str]] = defaultdict(set)
    r = httpx.get(f"{url}{API}/runs/get", params={"run_id": run_id}, timeout=30)
    r.raise_for_status()
    data = r.json()["run"]["data"]
    param_count: dict[int, int] = defaultdict(int)
    tag_count: dict[int, int] = defaultdict(int)
    for p in data.get("params", []):
        param_count[int(p["key"][1:].split("_")[0])] += 1
    for t in data.get("tags", []):
        if t["key"].startswith("t"):
            tag_count[int(t["key"][1:].split("_")[0])] += 1
    for n, c in param_count.items():
        parts[n].add(f"params:{c}")
    for n, c in tag_count.items():
        parts[n].add(f"tags:{c}")
    for k in range(METRIC_KEYS):
        steps: dict[int, int] = defaultdict(int)
        token = None
        while True:
            params: dict[str, str | int] = {"run_id": run_id, "metric_key": f"m{k}", "max_results": 25000}
            if token:
                params["page_token"] = token
            r = httpx.get(f"{url}{API}/metrics/get-history", params=params, timeout=60)
            r.raise_for_status()
            body = r.json()
            for m in body.get("metrics", []):
                steps[int(m["step"]) // STEPS_PER_BATCH] += 1
            token = body.get("next_page_token")
            if not token:
                break
        for n, c in steps.items():
            parts[n].add(f"m{k}:{c}")
    return parts


def test_kill_during_log_batch(server: ServerProcess) -> None:
    _, run_id = _create_run(server.url)
    senders = _Senders(server.url, run_id)
    senders.start()
    try:
        for _ in range(KILL_CYCLES):
            time.sleep(1.5)
            server.kill9()
            time.sleep(0.3)
            server.start()
    finally:
        time.sleep(1.0)
        senders.stop()
    assert senders.failed, "no request was interrupted: the kill happened between requests"
    assert senders.acked, "no batch was acknowledged"

    whole = {f"m{k}:{STEPS_PER_BATCH}" for k in range(METRIC_KEYS)} | {"params:100", "tags:100"}
    present = _batches_present(server.url, run_id)
    partial = {n: sorted(p) for n, p in present.items() if p != whole}
    assert not partial, f"partially stored batches: {partial}"
    missing = senders.acked - set(present)
    assert not missing, f"acknowledged batches lost: {sorted(missing)}"
    assert "database is locked" not in server.log_text()


# -- artifacts -----------------------------------------------------------------------------------

CHUNK = 1 << 20
BIG_CHUNKS = 24  # 24 MiB


def _artifact_url(url: str, exp: str, run_id: str, path: str) -> str:
    return f"{url}/api/2.0/mlflow-artifacts/artifacts/{exp}/{run_id}/artifacts/{path}"


def _list(url: str, run_id: str, path: str = "") -> list[dict[str, object]]:
    r = httpx.get(f"{url}{API}/artifacts/list", params={"run_id": run_id, "path": path}, timeout=30)
    r.raise_for_status()
    return list(r.json().get("files", []))


def _interrupted_upload(server: ServerProcess, target: str) -> None:
    """PUT a large body, and kill -9 the server after half of it was sent."""
    half_sent = threading.Event()
    killed = threading.Event()

    def body() -> Iterator[bytes]:
        for i in range(BIG_CHUNKS):
            if i == BIG_CHUNKS // 2:
                half_sent.set()
                killed.wait(60)  # the rest goes to a dead server, however slow the machine is
            yield bytes([i % 251]) * CHUNK

    errors: list[BaseException] = []

    def upload() -> None:
        try:
            r = httpx.put(target, content=body(), timeout=30)
            errors.append(AssertionError(f"upload completed with {r.status_code}"))
        except httpx.TransportError as exc:
            errors.append(exc)

    t = threading.Thread(target=upload)
    t.start()
    assert half_sent.wait(60)
    time.sleep(0.2)
    server.kill9()
    killed.set()
    t.join(timeout=60)
    assert errors and isinstance(errors[0], httpx.TransportError), errors


def test_kill_during_large_upload(tmp_path: Path) -> None:
    # The artifact store does not depend on the database backend: SQLite only.
    server = ServerProcess(tmp_path / "srv", f"sqlite:///{tmp_path / 'db' / 'tracking.db'}").start()
    try:
        _check_interrupted_uploads(server)
    finally:
        server.stop()


def _check_interrupted_uploads(server: ServerProcess) -> None:
    exp, run_id = _create_run(server.url)
    old = b"complete old version\n" * 1000
    r = httpx.put(_artifact_url(server.url, exp, run_id, "models/weights.bin"), content=old, timeout=30)
    assert r.status_code == 200, r.text

    # A new file in a new directory, and an overwrite of the complete file, both interrupted.
    _interrupted_upload(server, _artifact_url(server.url, exp, run_id, "fresh/big.bin"))
    server.start()
    _interrupted_upload(server, _artifact_url(server.url, exp, run_id, "models/weights.bin"))
    server.start()

    top = {str(f["path"]): f for f in _list(server.url, run_id)}
    fresh = _list(server.url, run_id, "fresh") if "fresh" in top else []
    assert not fresh, f"a half-written upload is listed: {fresh}"
    models = _list(server.url, run_id, "models")
    assert [(f["path"], int(str(f["file_size"]))) for f in models] == [("models/weights.bin", len(old))]
    r = httpx.get(_artifact_url(server.url, exp, run_id, "fresh/big.bin"), timeout=30)
    assert r.status_code == 404
    r = httpx.get(_artifact_url(server.url, exp, run_id, "models/weights.bin"), timeout=30)
    assert r.status_code == 200 and hashlib.sha256(r.content).digest() == hashlib.sha256(old).digest()

    # The same upload, uninterrupted, then lands completely.
    data = b"".join(bytes([i % 251]) * CHUNK for i in range(8))
    r = httpx.put(_artifact_url(server.url, exp, run_id, "fresh/big.bin"), content=data, timeout=60)
    assert r.status_code == 200, r.text
    r = httpx.get(_artifact_url(server.url, exp, run_id, "fresh/big.bin"), timeout=60)
    assert r.content == data
    assert [f["path"] for f in _list(server.url, run_id, "fresh")] == ["fresh/big.bin"]

    # The killed writers left hidden temp files; a restart sweeps those older than a day.
    leftovers = list(server.artifacts.rglob(".tracklog-tmp-*"))
    assert len(leftovers) == 2, leftovers
    stale, recent = leftovers
    old_time = time.time() - 3 * 24 * 3600
    os.utime(stale, (old_time, old_time))
    server.kill9()
    server.start()
    wait_until(lambda: not stale.exists(), 30, "the stale temp file to be swept")
    assert recent.exists()
    assert "Removed 1 stale artifact temp file" in server.log_text()
