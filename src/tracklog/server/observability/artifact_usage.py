"""Bytes stored per experiment, measured with bounded work.

Each experiment's artifact location is resolved like the server resolves it
(``mlflow-artifacts:/<id>`` lives in the artifacts destination; ``s3://``, ``file:``...
locations through the artifact registry) and measured:

* local directories: an ``os.scandir`` walk (sizes from ``lstat``; links are not followed);
* object stores (S3, GCS, Azure): one recursive listing (S3 answers 1,000 keys per request);
* anything else (an ``http`` artifact server): not measured.

At most ``max_objects`` files are counted per measurement, over at most ``max_experiments``
experiments (lowest ids first); past either limit the result says ``complete=False`` and the
experiments not reached are left out. Callers cache the result (``store_metrics``).
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field

from tracklog.exceptions import TrackingError
from tracklog.server.artifact_access import ArtifactAccess

__all__ = ["ArtifactUsage", "UsageSnapshot"]


@dataclass(slots=True)
class UsageSnapshot:
    bytes_by_experiment: dict[str, int] = field(default_factory=dict)
    objects: int = 0
    complete: bool = True
    seconds: float = 0.0


class ArtifactUsage:
    def __init__(self, artifacts: ArtifactAccess, *, max_objects: int = 200_000, max_experiments: int = 1_000) -> None:
        self.artifacts = artifacts
        self.max_objects = max_objects
        self.max_experiments = max_experiments

    def measure(self, locations: list[tuple[str, str]]) -> UsageSnapshot:
        """``locations``: (experiment id, artifact location) pairs."""
        started = time.monotonic()
        snap = UsageSnapshot()
        if len(locations) > self.max_experiments:
            snap.complete = False
        for experiment_id, location in locations[: self.max_experiments]:
            budget = self.max_objects - snap.objects
            if budget <= 0:
                snap.complete = False
                break
            measured = self._measure_one(location, budget)
            if measured is None:
                continue
            size, count, finished = measured
            snap.objects += count
            if not finished:
                snap.complete = False
                break
            snap.bytes_by_experiment[experiment_id] = size
        snap.seconds = time.monotonic() - started
        return snap

    def _measure_one(self, location: str, budget: int) -> tuple[int, int, bool] | None:
        from tracklog.artifacts._fsspec import FsspecArtifactRepository
        from tracklog.artifacts.local import LocalArtifactRepository

        try:
            scope = self.artifacts.for_uri(location)
        except (TrackingError, OSError, ValueError):
            return None
        repo = scope.repo
        if isinstance(repo, LocalArtifactRepository):
            base = os.path.join(repo.root, *scope.prefix.split("/")) if scope.prefix else repo.root
            return _walk(base, budget)
        if isinstance(repo, FsspecArtifactRepository):
            try:
                files = repo._files_below(scope.prefix)
            except (OSError, TrackingError):
                return None
            return sum(size for _, size in files[:budget]), min(len(files), budget), len(files) <= budget
        return None


def _walk(base: str, budget: int) -> tuple[int, int, bool]:
    """(bytes, files, finished) of the regular files below ``base``."""
    total = count = 0
    pending = [base]
    while pending:
        directory = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                pending.append(entry.path)
            elif stat.S_ISREG(info.st_mode):
                if count >= budget:
                    return total, count, False
                total += info.st_size
                count += 1
    return total, count, True
