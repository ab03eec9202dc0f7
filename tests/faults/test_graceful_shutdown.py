"""SIGTERM drains in-flight requests: an upload that is still streaming finishes with 200 and is
stored whole, the server then exits by itself and stops listening.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.faults.processes import ServerProcess

pytestmark = pytest.mark.xdist_group("faults-kill")

API = "/api/2.0/mlflow"
CHUNK = 256 * 1024
CHUNKS = 12


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_drains_an_inflight_upload(tmp_path: Path, workers: int) -> None:
    server = ServerProcess(tmp_path / "srv", f"sqlite:///{tmp_path / 'db' / 'tracking.db'}", workers=workers)
    server.start()
    try:
        r = httpx.post(f"{server.url}{API}/experiments/create", json={"name": "drain"}, timeout=30)
        exp = r.json()["experiment_id"]
        r = httpx.post(f"{server.url}{API}/runs/create", json={"experiment_id": exp}, timeout=30)
        run_id = r.json()["run"]["info"]["run_id"]
        target = f"{server.url}/api/2.0/mlflow-artifacts/artifacts/{exp}/{run_id}/artifacts/slow.bin"
        started = threading.Event()
        term_sent = threading.Event()

        def body() -> Iterator[bytes]:
            for i in range(CHUNKS):
                if i == CHUNKS // 2:
                    started.set()
                    term_sent.wait(60)  # the second half is sent after the SIGTERM
                yield bytes([i]) * CHUNK
                time.sleep(0.1)

        outcome: list[object] = []

        def upload() -> None:
            try:
                outcome.append(httpx.put(target, content=body(), timeout=60).status_code)
            except httpx.HTTPError as exc:
                outcome.append(exc)

        t = threading.Thread(target=upload)
        t.start()
        assert started.wait(60)
        time.sleep(0.3)
        assert server.proc is not None
        server.proc.send_signal(signal.SIGTERM)
        term_sent.set()
        code = server.wait_exit(timeout=60)
        t.join(timeout=60)
        assert outcome == [200], f"in-flight upload was not drained: {outcome}\n{server.log_text()[-2000:]}"
        # uvicorn re-raises the SIGTERM it handled once drained (one worker); the supervisor exits 0.
        assert code in (0, -signal.SIGTERM), server.log_text()[-2000:]
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{server.url}/health", timeout=2)

        stored = server.artifacts / exp / run_id / "artifacts" / "slow.bin"
        assert stored.read_bytes() == b"".join(bytes([i]) * CHUNK for i in range(CHUNKS))
    finally:
        server.stop()


def test_graceful_timeout_bounds_the_drain(tmp_path: Path) -> None:
    """A request slower than --graceful-timeout is cut off; the half-written upload stays invisible."""
    server = ServerProcess(tmp_path / "srv", f"sqlite:///{tmp_path / 'db' / 'tracking.db'}",
                           extra_args=["--graceful-timeout", "2"])
    server.start()
    try:
        r = httpx.post(f"{server.url}{API}/experiments/create", json={"name": "cut"}, timeout=30)
        exp = r.json()["experiment_id"]
        r = httpx.post(f"{server.url}{API}/runs/create", json={"experiment_id": exp}, timeout=30)
        run_id = r.json()["run"]["info"]["run_id"]
        target = f"{server.url}/api/2.0/mlflow-artifacts/artifacts/{exp}/{run_id}/artifacts/endless.bin"
        started = threading.Event()
        stop_sending = threading.Event()

        def body() -> Iterator[bytes]:
            while not stop_sending.is_set():
                yield b"x" * CHUNK
                started.set()
                time.sleep(0.1)

        outcome: list[object] = []

        def upload() -> None:
            try:
                outcome.append(httpx.put(target, content=body(), timeout=60).status_code)
            except httpx.HTTPError as exc:
                outcome.append(exc)

        t = threading.Thread(target=upload, daemon=True)
        t.start()
        assert started.wait(30)
        began = time.monotonic()
        server.terminate(timeout=60)
        took = time.monotonic() - began
        stop_sending.set()
        t.join(timeout=60)
        assert took < 20, f"the drain took {took:.1f} s despite --graceful-timeout 2"
        assert outcome and outcome[0] != 200, outcome
        run_dir = server.artifacts / exp / run_id / "artifacts"
        visible = [p.name for p in run_dir.iterdir() if not p.name.startswith(".")] if run_dir.exists() else []
        assert visible == []
    finally:
        server.stop()
