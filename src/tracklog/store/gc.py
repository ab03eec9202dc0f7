"""Garbage collection at the store level: find soft-deleted runs and experiments, remove them for good.

This is an optional capability (a separate protocol, like multipart uploads for artifact
stores): the SQL store has it, a REST store does not (a server collects its own garbage).
``tracklog.purge`` builds on it to remove artifacts too; ``tracklog gc`` is the command.

Rules every implementation follows:

* only rows in the ``deleted`` lifecycle stage are ever removed, and ``purge_*`` re-checks
  that inside its own transaction (a run restored in the meantime is kept);
* ``deleted_before`` (epoch milliseconds) keeps everything deleted at or after it; a row
  without a ``deleted_time`` (imported from elsewhere) is never "old enough" -- name it by id;
* removing a run removes its params, tags, metrics, inputs and model links in one transaction;
  removing an experiment removes everything in it (runs, logged models, datasets, tags,
  permissions) in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from tracklog.exceptions import InvalidArgument
from tracklog.store.base import TrackingStore

__all__ = ["GarbageCollector", "PurgeTarget", "collector_for"]

TargetKind = Literal["run", "experiment", "logged_model"]


@dataclass(frozen=True, slots=True)
class PurgeTarget:
    """Something ``gc`` removes: its id, experiment, artifact location and deletion time."""

    kind: TargetKind
    id: str
    experiment_id: str
    artifact_uri: str | None
    deleted_time: int | None = None
    name: str = ""


@runtime_checkable
class GarbageCollector(Protocol):
    """Find and permanently remove soft-deleted runs and experiments (rows only)."""

    def deleted_runs(
        self, deleted_before: int | None = None, run_ids: Sequence[str] | None = None
    ) -> list[PurgeTarget]:
        """Deleted runs (deleted before ``deleted_before`` when given); ``run_ids`` narrows the search.

        A named run that is missing, active or too recently deleted raises InvalidArgument."""

    def deleted_experiments(
        self, deleted_before: int | None = None, experiment_ids: Sequence[str] | None = None
    ) -> list[PurgeTarget]:
        """Deleted experiments, like ``deleted_runs``."""

    def experiment_contents(self, experiment_id: str) -> list[PurgeTarget]:
        """Every run and logged model of an experiment (whose artifacts go with it)."""

    def purge_run(self, run_id: str) -> bool:
        """Remove a deleted run's rows; False (nothing done) if it is gone or no longer deleted."""

    def purge_experiment(self, experiment_id: str) -> bool:
        """Remove a deleted experiment and everything in it; False if it is gone or restored."""


def collector_for(store: TrackingStore) -> GarbageCollector:
    """The garbage collector of ``store``'s backend; InvalidArgument if it has none."""
    db_uri = getattr(store, "db_uri", None)
    if isinstance(db_uri, str):
        from tracklog.store.sql.gc import SqlGarbageCollector

        return SqlGarbageCollector(db_uri)
    raise InvalidArgument(
        f"{type(store).__name__} cannot collect garbage: run 'tracklog gc' against the database "
        "(--backend-store-uri), not a tracking server"
    )
