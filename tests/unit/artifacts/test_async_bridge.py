"""The async-to-blocking upload bridge: bounded memory, no deadlock under concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tests.aio import run_coroutine

from tracklog.artifacts._async import write_async_via_thread
from tracklog.artifacts.local import LocalArtifactRepository
from tracklog.exceptions import InvalidArgument

CHUNK = b"x" * 4096


async def _chunks(n: int) -> AsyncIterator[bytes]:
    for _ in range(n):
        await asyncio.sleep(0)
        yield CHUNK


def test_many_concurrent_uploads_with_a_tiny_executor(tmp_path: Path) -> None:
    """More uploads than executor threads, each longer than the hand-off queue, all complete."""
    repo = LocalArtifactRepository(str(tmp_path))

    async def main() -> list[int]:
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=2))
        uploads = [write_async_via_thread(repo, f"f{i}.bin", _chunks(64)) for i in range(16)]
        return await asyncio.wait_for(asyncio.gather(*uploads), timeout=60)

    sizes = run_coroutine(main())
    assert sizes == [64 * len(CHUNK)] * 16
    assert all((tmp_path / f"f{i}.bin").stat().st_size == 64 * len(CHUNK) for i in range(16))


def test_writer_failing_early_does_not_hang(tmp_path: Path) -> None:
    repo = LocalArtifactRepository(str(tmp_path))

    async def main() -> int:
        return await asyncio.wait_for(write_async_via_thread(repo, "../escape", _chunks(200)), timeout=30)

    with pytest.raises(InvalidArgument):
        run_coroutine(main())


def test_client_disconnect_leaves_no_file(tmp_path: Path) -> None:
    repo = LocalArtifactRepository(str(tmp_path))

    async def broken() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield CHUNK
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        run_coroutine(write_async_via_thread(repo, "partial.bin", broken()))
    assert not (tmp_path / "partial.bin").exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_large_bodies_stream_through_the_writer_thread_in_merged_pieces(tmp_path: Path) -> None:
    """Above SMALL_BODY the writer runs while the body arrives; 4 KiB chunks reach it merged."""
    from tracklog.artifacts import _async

    repo = LocalArtifactRepository(str(tmp_path))
    seen: list[int] = []
    real = repo.write_stream

    def spy(path: str, chunks: Iterator[bytes]) -> int:
        def counted() -> Iterator[bytes]:
            for chunk in chunks:
                seen.append(len(chunk))
                yield chunk

        return real(path, counted())

    repo.write_stream = spy  # type: ignore[method-assign]
    count = 3 * _async.SMALL_BODY // len(CHUNK)
    assert run_coroutine(write_async_via_thread(repo, "big.bin", _chunks(count))) == count * len(CHUNK)
    assert (tmp_path / "big.bin").stat().st_size == count * len(CHUNK)
    assert len(seen) <= 4 and max(seen) >= _async.PIECE  # merged, not one call per 4 KiB chunk
    seen.clear()
    assert run_coroutine(write_async_via_thread(repo, "small.bin", _chunks(3))) == 3 * len(CHUNK)
    assert seen == [len(CHUNK)] * 3  # small bodies: gathered, then one write call


def test_large_body_with_a_writer_failing_early_does_not_hang(tmp_path: Path) -> None:
    repo = LocalArtifactRepository(str(tmp_path))

    async def main() -> int:
        return await asyncio.wait_for(write_async_via_thread(repo, "../escape", _chunks(2000)), timeout=30)

    with pytest.raises(InvalidArgument):
        run_coroutine(main())
