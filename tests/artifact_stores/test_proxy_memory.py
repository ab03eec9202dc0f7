"""Server memory stays flat while a big file streams through the proxy (up and down).

The server's RSS is sampled with psutil every 50 ms during the transfer; its growth over
the value before the transfer must stay under 100 MB. 1 GiB goes to a local destination
and to S3 (moto; the server streams it as 205 multipart parts of 5 MiB through obstore,
two in flight, and reads it back with one streamed GET). The body is generated as it is
sent (1 MiB at a time, every MiB different), so the test process holds no copy either.
The S3 case has a 180 s timeout; on the 2-core CI machine it takes about 20-40 s.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from tests.artifact_stores.emulators import running
from tests.artifact_stores.servers import StoreServer, stop, store_server

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("store-servers")]

MiB = 1024 * 1024
LIMIT_MB = 100


class RssSampler:
    """Peak RSS of a process, sampled on a thread until stopped."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.base = self.process.memory_info().rss
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth_mb(self) -> float:
        return float(self.peak - self.base) / MiB


def _body(size_mb: int, digest: hashlib._Hash) -> Iterator[bytes]:
    block = bytes(range(256)) * (MiB // 256)
    for i in range(size_mb):
        piece = block[i % 256:] + block[: i % 256]  # every MiB differs, so a mix-up shows in the hash
        digest.update(piece)
        yield piece


def _roundtrip(server: StoreServer, size_mb: int) -> None:
    url = f"{server.url}/api/2.0/mlflow-artifacts/artifacts/0/big/artifacts/big.bin"
    sent = hashlib.sha256()
    started = time.perf_counter()
    with RssSampler(server.proc.pid) as upload:
        r = httpx.put(url, content=_body(size_mb, sent), timeout=600)
        assert r.status_code == 200, r.text
    uploaded = time.perf_counter()
    got = hashlib.sha256()
    size = 0
    with RssSampler(server.proc.pid) as download, httpx.stream("GET", url, timeout=600) as response:
        assert response.status_code == 200
        for chunk in response.iter_bytes(MiB):
            got.update(chunk)
            size += len(chunk)
    print(  # shown with -rP: the figures docs/artifacts.md quotes
        f"{server.kind}: {size_mb} MiB up in {uploaded - started:.1f} s (RSS +{upload.growth_mb:.0f} MB), "
        f"down in {time.perf_counter() - uploaded:.1f} s (RSS +{download.growth_mb:.0f} MB)"
    )
    assert size == size_mb * MiB and got.hexdigest() == sent.hexdigest()
    assert upload.growth_mb < LIMIT_MB, f"server RSS grew {upload.growth_mb:.0f} MB during a {size_mb} MB upload"
    assert download.growth_mb < LIMIT_MB, f"server RSS grew {download.growth_mb:.0f} MB during the download"
    assert httpx.delete(url, timeout=60).status_code == 200


def test_one_gib_through_the_proxy_to_a_local_destination(tmp_path: Path) -> None:
    server = store_server("local", None, tmp_path)
    try:
        _roundtrip(server, 1024)
    finally:
        stop(server)


@pytest.mark.timeout(180)
def test_one_gib_through_the_proxy_to_s3(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    server = store_server("s3", running(request, "moto"), tmp_path)
    try:
        _roundtrip(server, 1024)
    finally:
        stop(server)
