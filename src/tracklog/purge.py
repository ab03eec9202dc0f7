"""Permanent removal of soft-deleted runs and experiments with their artifacts (``tracklog gc``).

``plan_gc`` asks the store's ``GarbageCollector`` what may go; ``execute_gc`` removes it:

* **artifacts first, rows second, one run at a time.** The soft-deleted row is the record of
  what still has to go: if gc dies (or an artifact store fails) after removing some artifacts,
  the row is still there and the next ``tracklog gc`` finishes the job (deleting artifacts
  that are already gone is a no-op). Rows are never removed while their artifacts remain.
* right before touching artifacts each run (or experiment) is re-read: one restored since the
  plan was made is skipped;
* an artifact location is only deleted when it is specific to what is removed (its path ends
  in ``<run id>/artifacts``, ``<model id>/artifacts`` or the id itself); a run whose artifact
  URI points elsewhere (e.g. a shared bucket root) loses its rows but its files are kept and
  reported;
* removing an experiment removes every run and logged model in it (their artifacts, then its own
  artifact location when it ends with the experiment id, then the rows in one transaction).
  Logged models of a removed *run* whose experiment is kept stay: they belong to the
  experiment and have their own lifecycle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tracklog.artifacts.base import ArtifactRepository
from tracklog.artifacts.paths import safe_relpath
from tracklog.exceptions import InvalidArgument, TrackingError
from tracklog.store.gc import GarbageCollector, PurgeTarget

__all__ = ["GcPlan", "GcReport", "execute_gc", "owned_location", "plan_gc"]

RepositoryFactory = Callable[[str], ArtifactRepository]
PROXY_SCHEME = "mlflow-artifacts"


@dataclass(frozen=True, slots=True)
class GcPlan:
    """Runs removed on their own, and experiments removed with their contents."""

    runs: list[PurgeTarget]
    experiments: list[tuple[PurgeTarget, list[PurgeTarget]]]

    def __len__(self) -> int:
        return len(self.runs) + len(self.experiments)


@dataclass(slots=True)
class GcReport:
    removed: list[PurgeTarget] = field(default_factory=list)
    skipped: list[tuple[PurgeTarget, str]] = field(default_factory=list)
    kept_artifacts: list[tuple[PurgeTarget, str]] = field(default_factory=list)
    failed: list[tuple[PurgeTarget, str]] = field(default_factory=list)


def plan_gc(collector: GarbageCollector, *, deleted_before: int | None = None,
            run_ids: Sequence[str] | None = None, experiment_ids: Sequence[str] | None = None) -> GcPlan:
    """What ``execute_gc`` would remove. Naming ids limits gc to exactly those (both kinds)."""
    explicit = run_ids is not None or experiment_ids is not None
    runs = collector.deleted_runs(deleted_before, run_ids) if run_ids is not None or not explicit else []
    experiments = (collector.deleted_experiments(deleted_before, experiment_ids)
                   if experiment_ids is not None or not explicit else [])
    gone_with_experiment = {e.id for e in experiments}
    return GcPlan([r for r in runs if r.experiment_id not in gone_with_experiment],
                  [(e, collector.experiment_contents(e.id)) for e in experiments])


def owned_location(target: PurgeTarget) -> str | None:
    """The artifact location that belongs to ``target`` alone, or None when it is not specific."""
    uri = (target.artifact_uri or "").rstrip("/")
    if not uri:
        return None
    segments = urlsplit(uri).path.rstrip("/").split("/")
    if len(segments) >= 2 and segments[-1] == "artifacts" and segments[-2] == target.id:
        return uri[: -len("/artifacts")]  # the <id> folder: nothing else lives there
    if segments[-1] == target.id:
        return uri
    return None


def _delete_location(uri: str, destination: ArtifactRepository, factory: RepositoryFactory) -> None:
    """Delete everything at ``uri``: ``mlflow-artifacts:/<p>`` is ``<p>`` in the artifacts destination."""
    if uri.lower().startswith(PROXY_SCHEME + ":"):
        path = safe_relpath(urlsplit(uri).path.lstrip("/"))
        if not path:
            raise InvalidArgument(f"Refusing to delete the whole artifacts destination ({uri})")
        destination.delete_artifacts(path)
    else:
        factory(uri).delete_artifacts(None)


Notify = Callable[[str, PurgeTarget, str], None]


def execute_gc(plan: GcPlan, collector: GarbageCollector, destination: ArtifactRepository,
               repository_factory: RepositoryFactory, notify: Notify | None = None) -> GcReport:
    """Remove what ``plan`` lists (see the module doc for the order and the guarantees)."""
    report = GcReport()

    def tell(event: str, target: PurgeTarget, detail: str = "") -> None:
        if notify is not None:
            notify(event, target, detail)

    def still_deleted(target: PurgeTarget) -> bool:
        try:
            if target.kind == "run":
                collector.deleted_runs(None, [target.id])
            else:
                collector.deleted_experiments(None, [target.id])
        except InvalidArgument:
            report.skipped.append((target, "no longer deleted"))
            tell("skipped", target, "no longer deleted")
            return False
        return True

    def remove_artifacts(target: PurgeTarget) -> bool:
        location = owned_location(target)
        if location is None:
            if target.artifact_uri:
                report.kept_artifacts.append((target, target.artifact_uri))
                tell("kept-artifacts", target, target.artifact_uri)
            return True
        try:
            _delete_location(location, destination, repository_factory)
        except (TrackingError, OSError) as exc:
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            report.failed.append((target, message))
            tell("failed", target, message)
            return False
        return True

    for run in plan.runs:
        if still_deleted(run) and remove_artifacts(run) and collector.purge_run(run.id):
            report.removed.append(run)
            tell("removed", run, "")
    for experiment, contents in plan.experiments:
        if not still_deleted(experiment):
            continue
        artifacts_gone = all([remove_artifacts(item) for item in (*contents, experiment)])
        if artifacts_gone and collector.purge_experiment(experiment.id):
            report.removed.append(experiment)
            tell("removed", experiment, f"{len(contents)} runs and logged models")
    return report
