"""Writing a ``Source`` into a tracking store: idempotent, resumable, ids kept or mapped by tags.

A target that ``keeps_ids`` (the SQL store: a folder or a database URL) receives the
source's experiment, run and logged-model ids and creation times; an id it cannot take
(taken, or not in its format) falls back to a new one. Over MLflow's REST API ids are
always new. Either way the import tags record the source ids.

Per run, in this order (every step can be repeated safely):

1. ``create_run`` with the import tags (``tracklog.import.source_run_id`` ...), so a
   later import finds the run with ``search_runs`` instead of creating it again;
   then its status and end time;
2. dataset inputs; logged models of the run (created, artifacts, finalized); model
   inputs and outputs; the model-linked metrics;
3. artifacts, copied on a thread pool (files already present with the same size are skipped);
4. params, tags (``mlflow.parentRunId`` rewritten to the new id) and every metric point,
   packed into ``log_batch`` calls of up to 1000 entities (re-logging is a no-op), the
   last of which also writes ``tracklog.import.complete=true``;
5. ``delete_run`` if the source run is deleted.

A run found with the source tag but without the complete tag is finished on the next
import; a complete one is skipped (only its lifecycle is re-checked).
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from tracklog.artifacts.base import ArtifactRepository
from tracklog.artifacts.registry import get_repository
from tracklog.entities import (
    Experiment,
    ExperimentTag,
    LifecycleStage,
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    LoggedModelStatus,
    LoggedModelTag,
    Metric,
    Param,
    Run,
    RunTag,
    ViewType,
)
from tracklog.exceptions import AlreadyExists, InvalidArgument
from tracklog.store.base import TrackingStore
from tracklog.transfer.artifact_copy import ArtifactCopier
from tracklog.transfer.base import PARENT_RUN_TAG, Source, parents_first, select_experiments
from tracklog.transfer.report import Progress, Summary

__all__ = [
    "COMPLETE_TAG",
    "IMPORT_TAG_PREFIX",
    "SOURCE_EXPERIMENT_ID_TAG",
    "SOURCE_MODEL_ID_TAG",
    "SOURCE_RUN_ID_TAG",
    "SOURCE_TAG",
    "ImportOptions",
    "Importer",
]

IMPORT_TAG_PREFIX = "tracklog.import."
SOURCE_RUN_ID_TAG = "tracklog.import.source_run_id"
SOURCE_EXPERIMENT_ID_TAG = "tracklog.import.source_experiment_id"
SOURCE_MODEL_ID_TAG = "tracklog.import.source_model_id"
SOURCE_TAG = "tracklog.import.source"
COMPLETE_TAG = "tracklog.import.complete"

METRICS_PER_BATCH = 1000
ENTITIES_PER_BATCH = 1000  # params + tags + metrics in one log_batch
PARAMS_PER_BATCH = 100
TAGS_PER_BATCH = 100
MODEL_PARAMS_PER_CALL = 100
SEARCH_PAGE = 1000
FINAL_MODEL_STATUSES = (LoggedModelStatus.READY, LoggedModelStatus.UPLOAD_FAILED)

T = TypeVar("T")


@dataclass
class ImportOptions:
    experiments: Sequence[str] = ()  # names; empty means all
    artifacts: bool = True
    workers: int = 8  # artifact copy threads
    progress: bool = False  # rich bars (the CLI turns them on for a TTY)
    after_run: Callable[[str], None] | None = None  # called with each source run id once complete
    keep_ids: bool = True  # keep source ids when the target store can (TrackingStore.keeps_ids)


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def pack_batches(
    params: Sequence[Param], tags: Sequence[RunTag], points: Iterator[Metric]
) -> Iterator[tuple[list[Param], list[RunTag], list[Metric]]]:
    """(params, tags, metrics) per ``log_batch``: at most 100 params, 100 tags, 1000 entities in all."""
    params, tags = list(params), list(tags)
    while True:
        p, params = params[:PARAMS_PER_BATCH], params[PARAMS_PER_BATCH:]
        t, tags = tags[:TAGS_PER_BATCH], tags[TAGS_PER_BATCH:]
        m = list(itertools.islice(points, min(METRICS_PER_BATCH, ENTITIES_PER_BATCH - len(p) - len(t))))
        if not (p or t or m):
            return
        yield p, t, m


class Importer:
    """Copies everything a ``Source`` holds into ``store`` (at ``tracking_uri``)."""

    def __init__(self, source: Source, store: TrackingStore, tracking_uri: str, options: ImportOptions) -> None:
        self.source = source
        self.store = store
        self.tracking_uri = tracking_uri
        self.options = options
        self.keep_ids = options.keep_ids and store.keeps_ids
        self.summary = Summary()
        self.run_ids: dict[str, str] = {}  # source run id -> target run id
        self.model_ids: dict[str, str] = {}  # source model id -> target model id
        self._parents_to_fix: list[tuple[str, str]] = []  # (target run id, source parent id)
        self._progress = Progress(False)
        self._copier: ArtifactCopier | None = None

    # -- entry point -----------------------------------------------------------------
    def run(self) -> Summary:
        started = time.monotonic()
        self._progress = Progress(self.options.progress)
        self._copier = ArtifactCopier(self.options.workers, on_file=self._file_done,
                                      on_listed=lambda n: self._progress.grow("artifacts", n))
        try:
            with self._progress:
                experiments = select_experiments(self.source.experiments(), self.options.experiments)
                self._progress.grow("experiments", len(experiments))
                for experiment in experiments:
                    self._import_experiment(experiment)
                    self._progress.advance("experiments")
                self._fix_parents()
        finally:
            self._copier.close()
            self.summary.seconds = time.monotonic() - started
        return self.summary

    def _file_done(self, nbytes: int) -> None:
        self._progress.advance("artifacts")

    # -- experiments -----------------------------------------------------------------
    def _import_experiment(self, experiment: Experiment) -> None:
        target = self._target_experiment(experiment)
        runs = parents_first(self.source.runs(experiment.experiment_id))
        self._progress.grow("runs", len(runs))
        models = self.source.logged_models(experiment.experiment_id)
        done_runs = self._imported_runs(target.experiment_id)
        done_models = self._imported_models(target.experiment_id)
        pending = [r for r in runs if not _complete(done_runs.get(r.info.run_id))]
        pending_models = [m for m in models if not _model_complete(done_models.get(m.model_id))]
        if target.lifecycle_stage is LifecycleStage.DELETED and (pending or pending_models):
            self.store.restore_experiment(target.experiment_id)
        self._sync_experiment_tags(experiment, target)
        by_run: dict[str | None, list[LoggedModel]] = defaultdict(list)
        run_ids = {r.info.run_id for r in runs}
        for model in models:
            by_run[model.source_run_id if model.source_run_id in run_ids else None].append(model)
        for run in runs:
            existing = done_runs.get(run.info.run_id)
            if _complete(existing):
                assert existing is not None
                self._already_imported(run, existing, by_run.get(run.info.run_id, []), done_models)
            else:
                self._import_run(run, target, existing, by_run.get(run.info.run_id, []), done_models)
            self._progress.advance("runs")
        for model in by_run.get(None, []):
            self._import_model(model, target, self.run_ids.get(model.source_run_id or ""), done_models)
        if experiment.lifecycle_stage is LifecycleStage.DELETED:
            current = self.store.get_experiment(target.experiment_id)
            if current.lifecycle_stage is LifecycleStage.ACTIVE:
                self.store.delete_experiment(target.experiment_id)

    def _target_experiment(self, experiment: Experiment) -> Experiment:
        found = self.store.get_experiment_by_name(experiment.name)
        if found is None:
            tags = [*_foreign(experiment.tag_list), *self._experiment_import_tags(experiment)]
            new_id = self._with_kept_id(
                "experiment",
                lambda: self.store.create_experiment(
                    experiment.name, None, tags, experiment_id=experiment.experiment_id,
                    creation_time=experiment.creation_time,
                ),
                lambda: self.store.create_experiment(experiment.name, None, tags),
                lambda new: new == experiment.experiment_id,
            )
            self.summary.add("experiments")
            return self.store.get_experiment(new_id)
        if found.tags_dict.get(SOURCE_EXPERIMENT_ID_TAG) == experiment.experiment_id:
            self.summary.skip("experiments", "already imported")
        else:
            self.summary.skip("experiments", "merged into the existing experiment of that name")
        return found

    def _with_kept_id(
        self, kind: str, keep: Callable[[], T], new: Callable[[], T], kept: Callable[[T], bool]
    ) -> T:
        """``keep()`` (create with the source id) when the target can, else or on a clash ``new()``."""
        if self.keep_ids:
            try:
                created = keep()
            except (AlreadyExists, InvalidArgument) as exc:
                reason = "taken in the target" if isinstance(exc, AlreadyExists) else "not accepted by the target"
                self.summary.skip(f"{kind} ids kept", f"new id: source id {reason}")
            else:
                if kept(created):
                    self.summary.add(f"{kind} ids kept")
                return created
        return new()

    def _experiment_import_tags(self, experiment: Experiment) -> list[ExperimentTag]:
        return [ExperimentTag(SOURCE_EXPERIMENT_ID_TAG, experiment.experiment_id),
                ExperimentTag(SOURCE_TAG, self.source.label)]

    def _sync_experiment_tags(self, experiment: Experiment, target: Experiment) -> None:
        current = self.store.get_experiment(target.experiment_id)
        if current.lifecycle_stage is LifecycleStage.DELETED:
            return
        have = current.tags_dict
        for tag in [*_foreign(experiment.tag_list), *self._experiment_import_tags(experiment)]:
            if have.get(tag.key) != tag.value:
                self.store.set_experiment_tag(target.experiment_id, tag)

    def _imported_runs(self, experiment_id: str) -> dict[str, Run]:
        found: dict[str, Run] = {}
        token: str | None = None
        filter_string = f"tags.`{SOURCE_RUN_ID_TAG}` IS NOT NULL"
        while True:
            page = self.store.search_runs([experiment_id], filter_string, ViewType.ALL, SEARCH_PAGE, page_token=token)
            for run in page:
                found.setdefault(run.data.tags_dict[SOURCE_RUN_ID_TAG], run)
            token = page.token
            if not token:
                return found

    def _imported_models(self, experiment_id: str) -> dict[str, LoggedModel]:
        found: dict[str, LoggedModel] = {}
        token: str | None = None
        while True:
            page = self.store.search_logged_models([experiment_id], max_results=100, page_token=token)
            for model in page:
                source_id = model.tags.get(SOURCE_MODEL_ID_TAG)
                if source_id:
                    found.setdefault(source_id, model)
            token = page.token
            if not token:
                return found

    # -- runs --------------------------------------------------------------------------
    def _already_imported(
        self, run: Run, existing: Run, models: list[LoggedModel], done_models: dict[str, LoggedModel]
    ) -> None:
        self.run_ids[run.info.run_id] = existing.info.run_id
        for model in models:
            if model.model_id in done_models:
                self.model_ids[model.model_id] = done_models[model.model_id].model_id
        self.summary.skip("runs", "already imported")
        source_parent = run.data.tags_dict.get(PARENT_RUN_TAG)
        if source_parent and existing.data.tags_dict.get(PARENT_RUN_TAG) == source_parent:
            self._parents_to_fix.append((existing.info.run_id, source_parent))  # never rewritten
        deleted = run.info.lifecycle_stage is LifecycleStage.DELETED
        if deleted and existing.info.lifecycle_stage is LifecycleStage.ACTIVE:
            self.store.delete_run(existing.info.run_id)

    def _import_run(
        self, run: Run, target: Experiment, existing: Run | None, models: list[LoggedModel],
        done_models: dict[str, LoggedModel],
    ) -> None:
        source_id = run.info.run_id
        if existing is None:
            tags, name = self._run_import_tags(run), run.info.run_name or None
            created = self._with_kept_id(
                "run",
                lambda: self.store.create_run(target.experiment_id, run.info.user_id, run.info.start_time,
                                              tags=tags, run_name=name, run_id=source_id),
                lambda: self.store.create_run(target.experiment_id, run.info.user_id, run.info.start_time,
                                              tags=tags, run_name=name),
                lambda new: new.info.run_id == source_id,
            )
        else:
            created = existing
            if existing.info.lifecycle_stage is LifecycleStage.DELETED:
                self.store.restore_run(existing.info.run_id)
            self.summary.skip("runs", "resumed (finished an interrupted import)")
        target_id = created.info.run_id
        self.run_ids[source_id] = target_id
        self.store.update_run_info(target_id, status=run.info.status, end_time=run.info.end_time)
        if run.inputs.dataset_inputs:
            self.store.log_inputs(target_id, datasets=run.inputs.dataset_inputs)
        for model in models:
            self._import_model(model, target, target_id, done_models)
        self._link_models(run, target_id)
        self._copy(self.source.run_artifacts(run), created.info.artifact_uri)
        self._log_run_data(run, target_id)  # its last log_batch also writes the complete tag
        if run.info.lifecycle_stage is LifecycleStage.DELETED:
            self.store.delete_run(target_id)
        if existing is None:
            self.summary.add("runs")
        if self.options.after_run is not None:
            self.options.after_run(source_id)

    def _run_import_tags(self, run: Run) -> list[RunTag]:
        return [RunTag(SOURCE_RUN_ID_TAG, run.info.run_id),
                RunTag(SOURCE_EXPERIMENT_ID_TAG, run.info.experiment_id),
                RunTag(SOURCE_TAG, self.source.label)]

    def _run_tags(self, run: Run, target_id: str) -> list[RunTag]:
        tags = []
        for tag in _foreign(run.data.tag_list):
            if tag.key == PARENT_RUN_TAG:
                mapped = self.run_ids.get(tag.value)
                if mapped is None:
                    self._parents_to_fix.append((target_id, tag.value))
                tag = RunTag(tag.key, mapped or tag.value)
            tags.append(tag)
        return tags

    def _log_run_data(self, run: Run, target_id: str) -> None:
        """Params, tags and every metric point in as few ``log_batch`` calls (transactions) as the
        limits allow; the complete tag rides with the last one (or follows it when it is full)."""
        points = (Metric(p.key, p.value, p.timestamp, p.step) for p in self.source.metric_history(run))
        batches = pack_batches(run.data.param_list, self._run_tags(run, target_id), points)
        complete = RunTag(COMPLETE_TAG, "true")
        batch, marked = next(batches, None), False
        while batch is not None:
            params, tags, metrics = batch
            batch = next(batches, None)
            room = len(tags) < TAGS_PER_BATCH and len(params) + len(tags) + len(metrics) < ENTITIES_PER_BATCH
            if batch is None and room:
                tags, marked = [*tags, complete], True
            self.store.log_batch(target_id, metrics=metrics, params=params, tags=tags)
            if metrics:
                self.summary.add("metric points", len(metrics))
                self._progress.grow("metrics", len(metrics))
                self._progress.advance("metrics", len(metrics))
        if not marked:
            self.store.set_tag(target_id, complete)

    def _link_models(self, run: Run, target_id: str) -> None:
        outputs = [LoggedModelOutput(self.model_ids[o.model_id], o.step)
                   for o in run.outputs.model_outputs if o.model_id in self.model_ids]
        inputs = [LoggedModelInput(self.model_ids[i.model_id])
                  for i in run.inputs.model_inputs if i.model_id in self.model_ids]
        missing = len(run.outputs.model_outputs) + len(run.inputs.model_inputs) - len(outputs) - len(inputs)
        if missing:
            self.summary.skip("model links", "logged model not in the source listing", missing)
        if outputs:
            self.store.log_outputs(target_id, outputs)
        if inputs:
            self.store.log_inputs(target_id, models=inputs)

    # -- logged models --------------------------------------------------------------------
    def _import_model(
        self, model: LoggedModel, target: Experiment, target_run_id: str | None,
        done_models: dict[str, LoggedModel],
    ) -> None:
        existing = done_models.get(model.model_id)
        if _model_complete(existing):
            assert existing is not None
            self.model_ids[model.model_id] = existing.model_id
            self.summary.skip("logged models", "already imported")
            return
        if existing is None:
            tags = [*_foreign(model.tag_list), LoggedModelTag(SOURCE_MODEL_ID_TAG, model.model_id),
                    LoggedModelTag(SOURCE_TAG, self.source.label)]
            params = list(model.param_list)
            first = params[:MODEL_PARAMS_PER_CALL]
            created = self._with_kept_id(
                "logged model",
                lambda: self.store.create_logged_model(
                    target.experiment_id, model.name, target_run_id, tags, first, model.model_type,
                    model_id=model.model_id, creation_timestamp_ms=model.creation_timestamp_ms or None,
                ),
                lambda: self.store.create_logged_model(
                    target.experiment_id, model.name, target_run_id, tags, first, model.model_type,
                ),
                lambda new: new.model_id == model.model_id,
            )
            for batch in chunks(params[MODEL_PARAMS_PER_CALL:], MODEL_PARAMS_PER_CALL):
                self.store.log_logged_model_params(created.model_id, batch)
        else:
            created = existing
        self.model_ids[model.model_id] = created.model_id
        self._log_model_metrics(model, created.model_id)
        self._copy(self.source.model_artifacts(model), created.artifact_uri)
        if model.status in FINAL_MODEL_STATUSES:
            self.store.finalize_logged_model(created.model_id, model.status)
        self.store.set_logged_model_tags(created.model_id, [LoggedModelTag(COMPLETE_TAG, "true")])
        self.summary.add("logged models")

    def _log_model_metrics(self, model: LoggedModel, target_model_id: str) -> None:
        by_run: dict[str, list[Metric]] = defaultdict(list)
        for m in model.metrics:
            run_id = self.run_ids.get(m.run_id or model.source_run_id or "")
            if run_id is None:
                self.summary.skip("metric points", "model metric of a run not imported")
                continue
            by_run[run_id].append(Metric(m.key, m.value, m.timestamp, m.step, target_model_id,
                                         m.dataset_name, m.dataset_digest))
        for run_id, points in by_run.items():
            for batch in chunks(points, METRICS_PER_BATCH):
                self.store.log_batch(run_id, metrics=batch)

    # -- artifacts and links ------------------------------------------------------------------
    def _copy(self, source_repo: ArtifactRepository | None, target_uri: str) -> None:
        if not self.options.artifacts or source_repo is None or self._copier is None:
            return
        target_repo = get_repository(target_uri, tracking_uri=self.tracking_uri)
        result = self._copier.copy_tree(source_repo, target_repo)
        self.summary.add("artifact files", result.copied)
        if result.skipped:
            self.summary.skip("artifact files", "already present", result.skipped)
        self.summary.artifact_bytes += result.nbytes

    def _fix_parents(self) -> None:
        for target_id, source_parent in self._parents_to_fix:
            mapped = self.run_ids.get(source_parent)
            if mapped is None:
                self.summary.skip("parent links", "parent run not imported (kept its source id)")
                continue
            run = self.store.get_run(target_id)
            deleted = run.info.lifecycle_stage is LifecycleStage.DELETED
            if deleted:
                self.store.restore_run(target_id)
            self.store.set_tag(target_id, RunTag(PARENT_RUN_TAG, mapped))
            if deleted:
                self.store.delete_run(target_id)


TagT = TypeVar("TagT", ExperimentTag, RunTag, LoggedModelTag)


def _foreign(tags: Sequence[TagT]) -> list[TagT]:
    """Tags without those of an earlier import (``tracklog.import.*``): this import writes its own."""
    return [t for t in tags if not t.key.startswith(IMPORT_TAG_PREFIX)]


def _complete(run: Run | None) -> bool:
    return run is not None and run.data.tags_dict.get(COMPLETE_TAG) == "true"


def _model_complete(model: LoggedModel | None) -> bool:
    return model is not None and model.tags.get(COMPLETE_TAG) == "true"
