"""What every source of an import provides, and helpers shared by the sources."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from tracklog.artifacts.base import ArtifactRepository
from tracklog.entities import Experiment, LoggedModel, Metric, Run

__all__ = ["PARENT_RUN_TAG", "Source", "parents_first", "select_experiments"]

PARENT_RUN_TAG = "mlflow.parentRunId"


@runtime_checkable
class Source(Protocol):
    """A read-only view of experiments, runs, metrics, logged models and artifacts.

    ``runs`` return every run of an experiment (active and deleted) with params,
    tags, inputs and outputs; ``run.data.metrics`` may hold only the latest value
    per key: the full history comes from ``metric_history``."""

    label: str  # stored in the target as the tracklog.import.source tag

    def experiments(self) -> list[Experiment]: ...

    def runs(self, experiment_id: str) -> list[Run]: ...

    def metric_history(self, run: Run) -> Iterator[Metric]: ...

    def logged_models(self, experiment_id: str) -> list[LoggedModel]: ...

    def run_artifacts(self, run: Run) -> ArtifactRepository | None: ...

    def model_artifacts(self, model: LoggedModel) -> ArtifactRepository | None: ...

    def close(self) -> None: ...


def select_experiments(experiments: Sequence[Experiment], names: Sequence[str] | None) -> list[Experiment]:
    """The experiments named in ``names`` (all when empty); an unknown name is an error."""
    if not names:
        return list(experiments)
    by_name = {e.name: e for e in experiments}
    missing = [n for n in names if n not in by_name]
    if missing:
        from tracklog.exceptions import NotFound

        raise NotFound(f"No experiment named {', '.join(map(repr, missing))} in the source")
    return [by_name[n] for n in dict.fromkeys(names)]


def parents_first(runs: Sequence[Run]) -> list[Run]:
    """``runs`` ordered so that a parent run comes before its children (stable otherwise)."""
    by_id = {r.info.run_id: r for r in runs}
    ordered: list[Run] = []
    seen: set[str] = set()
    for run in runs:
        chain: list[Run] = []
        current: Run | None = run
        while current is not None and current.info.run_id not in seen:
            seen.add(current.info.run_id)
            chain.append(current)
            parent = current.data.tags_dict.get(PARENT_RUN_TAG)
            current = by_id.get(parent) if parent else None
        ordered.extend(reversed(chain))
    return ordered
