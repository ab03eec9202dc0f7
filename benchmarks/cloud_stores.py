"""``python -m benchmarks.cloud_stores``: S3 / GCS / Azure repositories on their emulators, fsspec vs obstore.

For each store the same repository class runs twice on a fresh prefix, once with
``TRACKLOG_ARTIFACTS_OBSTORE=false`` (fsspec moves the bytes) and once with obstore:

* large: ``write_stream`` of one generated file, then ``open_read`` of it (MB/s);
* small: ``log_artifacts`` of a directory of 1 KiB files, then ``download_artifacts`` (files/s).

Each figure comes with the CPU seconds of this process and of the emulator
(user + sys): on a loaded machine wall-clock rates are noisy, CPU time is not.

    python -m benchmarks.cloud_stores --large-mb 100 --small-files 300
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import psutil

MiB = 1024 * 1024
STORES = ("s3", "gcs", "azure")


def _cpu(process: psutil.Process) -> float:
    total = 0.0
    for proc in [process, *process.children(recursive=True)]:
        times = proc.cpu_times()
        total += times.user + times.system
    return total


def _measure(work: Callable[[], Any], emulator_pid: int) -> dict[str, float]:
    me, emu = psutil.Process(), psutil.Process(emulator_pid)
    cpu0, emu0, t0 = _cpu(me), _cpu(emu), time.perf_counter()
    work()
    return {"wall_s": time.perf_counter() - t0, "cpu_s": _cpu(me) - cpu0, "emulator_cpu_s": _cpu(emu) - emu0}


def _chunks(size_mb: int) -> Iterator[bytes]:
    block = os.urandom(MiB)
    for i in range(size_mb):
        yield block[i:] + block[:i]


def _repo(kind: str, obstore: bool) -> tuple[Any, int]:
    from tests.artifact_stores import emulators as emus

    os.environ["TRACKLOG_ARTIFACTS_OBSTORE"] = "true" if obstore else "false"
    name = {"s3": "moto", "gcs": "fake-gcs-server", "azure": "azurite"}[kind]
    emu = emus.emulator(name)
    bucket = emus.session_bucket(kind, emu)
    prefix = emus.unique("bench")
    if kind == "s3":
        from tracklog.artifacts.s3 import S3ArtifactRepository

        repo: Any = S3ArtifactRepository(f"s3://{bucket}/{prefix}", storage_options=emus.s3_options(emu))
    elif kind == "gcs":
        from tracklog.artifacts.gcs import GcsArtifactRepository

        repo = GcsArtifactRepository(f"gs://{bucket}/{prefix}", storage_options=emus.gcs_options(emu))
    else:
        from tracklog.artifacts.azure import AzureArtifactRepository

        uri = f"wasbs://{bucket}@{emus.AZ_ACCOUNT}.blob.core.windows.net/{prefix}"
        repo = AzureArtifactRepository(uri, storage_options=emus.azure_options(emu))
    assert (repo.fast is not None) == obstore, f"{kind}: obstore={'on' if obstore else 'off'} not honoured"
    return repo, emu.process.pid


def run_store(kind: str, obstore: bool, large_mb: int, small_files: int) -> dict[str, Any]:
    repo, pid = _repo(kind, obstore)
    result: dict[str, Any] = {"store": kind, "engine": "obstore" if obstore else "fsspec"}
    written = hashlib.sha256()

    def put_large() -> None:
        def body() -> Iterator[bytes]:
            for chunk in _chunks(large_mb):
                written.update(chunk)
                yield chunk

        repo.write_stream("large/blob.bin", body())

    def get_large() -> None:
        digest = hashlib.sha256()
        with repo.open_read("large/blob.bin") as fh:
            while chunk := fh.read(MiB):
                digest.update(chunk)
        assert digest.hexdigest() == written.hexdigest(), "large download differs"

    result["large_put"] = _measure(put_large, pid)
    result["large_get"] = _measure(get_large, pid)
    work = tempfile.mkdtemp(prefix="tracklog-bench-")
    try:
        src = os.path.join(work, "src")
        os.makedirs(src)
        for i in range(small_files):
            with open(os.path.join(src, f"f{i:05d}.txt"), "wb") as fh:
                fh.write(os.urandom(1024))
        result["small_put"] = _measure(lambda: repo.log_artifacts(src, "small"), pid)
        result["small_get"] = _measure(lambda: repo.download_artifacts("small", os.path.join(work, "dst")), pid)
        assert len(os.listdir(os.path.join(work, "dst", "small"))) == small_files
    finally:
        shutil.rmtree(work, ignore_errors=True)
    repo.delete_artifacts()
    for key, n in (("large_put", large_mb), ("large_get", large_mb)):
        result[key]["mb_per_s"] = n * MiB / 1e6 / result[key]["wall_s"]
    for key in ("small_put", "small_get"):
        result[key]["files_per_s"] = small_files / result[key]["wall_s"]
    return result


def _table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| Store | Engine | large put MB/s (CPU s: client+emulator) | large get MB/s (CPU s) "
        "| small put files/s (CPU s) | small get files/s (CPU s) |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        cells = []
        for key, unit in (
            ("large_put", "mb_per_s"),
            ("large_get", "mb_per_s"),
            ("small_put", "files_per_s"),
            ("small_get", "files_per_s"),
        ):
            m = r[key]
            cells.append(f"{m[unit]:.0f} ({m['cpu_s']:.2f}+{m['emulator_cpu_s']:.2f})")
        lines.append(f"| {r['store']} | {r['engine']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default=",".join(STORES))
    parser.add_argument("--large-mb", type=int, default=100)
    parser.add_argument("--small-files", type=int, default=300)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    from tests.artifact_stores import emulators as emus

    results = []
    try:
        for kind in args.stores.split(","):
            for obstore in (False, True):
                results.append(run_store(kind, obstore, args.large_mb, args.small_files))
                print(json.dumps(results[-1]), flush=True)
    finally:
        emus.stop_all()
    print(_table(results))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
