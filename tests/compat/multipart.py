"""Shared pieces of the official client's multipart tests (tests/compat and tests/artifact_stores)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from tests.compat.conftest import official_client_at

MiB = 1024 * 1024


def patterned_file(path: Path, size: int) -> str:
    """Write ``size`` bytes of a name-derived pattern to ``path``; return their SHA-256."""
    block = hashlib.sha256(path.name.encode()).digest() * (MiB // 32)
    with open(path, "wb") as out:
        written = 0
        while written < size:
            piece = block[: min(len(block), size - written)]
            out.write(piece)
            written += len(piece)
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextmanager
def small_part_clients(monkeypatch: pytest.MonkeyPatch, *, proxy_multipart: bool) -> Iterator[Callable[[str], object]]:
    """Make official clients pointed at a URL with small thresholds (1 MiB minimum, 5 MiB parts, 4 MiB chunks).

    ``proxy_multipart`` also sets ``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD`` (the server's ``mpu/*`` routes);
    without it the client only uses the store's own multipart URLs where the server offers them.
    """
    from mlflow import MlflowClient

    with ExitStack() as pointed:

        def make(url: str) -> object:
            if proxy_multipart:
                monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
            monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(MiB))
            monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(5 * MiB))
            monkeypatch.setenv("MLFLOW_MULTIPART_DOWNLOAD_CHUNK_SIZE", str(4 * MiB))
            pointed.enter_context(official_client_at(url))
            return MlflowClient(tracking_uri=url)

        yield make
