"""Uploads and downloads through the proxy are streamed: server memory stays flat for big files."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.compat.conftest import ServerProcess

pytestmark = [pytest.mark.compat, pytest.mark.slow]

SIZE_MB = 256


def _peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        pytest.skip("needs /proc")
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    pytest.skip("no VmHWM")


def test_big_upload_and_download_are_streamed(tracklog_server: ServerProcess) -> None:
    block = os.urandom(1024 * 1024)
    before = _peak_rss_mb(tracklog_server.proc.pid)

    def body() -> Iterator[bytes]:
        for _ in range(SIZE_MB):
            yield block

    url = f"{tracklog_server.url}/api/2.0/mlflow-artifacts/artifacts/stream-test/big.bin"
    r = httpx.put(url, content=body(), timeout=120)
    assert r.status_code == 200, r.text
    digest = hashlib.sha256()
    size = 0
    with httpx.stream("GET", url, timeout=120) as resp:
        assert resp.status_code == 200
        for chunk in resp.iter_bytes():
            digest.update(chunk)
            size += len(chunk)
    assert size == SIZE_MB * len(block)
    expected = hashlib.sha256()
    for _ in range(SIZE_MB):
        expected.update(block)
    assert digest.hexdigest() == expected.hexdigest()
    grown = _peak_rss_mb(tracklog_server.proc.pid) - before
    assert grown < SIZE_MB / 4, f"server peak RSS grew by {grown:.0f} MB for a {SIZE_MB} MB file"
    assert httpx.delete(url).status_code == 200
