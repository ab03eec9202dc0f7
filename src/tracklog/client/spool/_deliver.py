"""Deliver a spool's pending operations to the tracking server, in order, exactly once.

Used by the background sender of a live process and by ``tracklog sync``. Each step reads
the oldest pending operations, groups the log operations of each run into ``log-batch``
requests split to the server's limits (``tracklog.client.batching``), and deletes every
operation once its request succeeded.

Exactly once: a request whose answer was lost is sent again. That is safe because every
operation carries its final values (a metric's timestamp is taken when it is logged):
params and tags are idempotent by value, and both tracklog's and MLflow's servers skip a
metric point identical in (key, value, step, timestamp) to one already stored. Runs created
offline carry the tag ``tracklog.spool.local_id``; before creating such a run the server is
searched for it, so a lost answer never creates a second run.

Errors: a transient failure (connection, timeout, 429, 5xx) raises ``Transient`` and leaves
every undelivered operation in the spool. A refusal (4xx) moves the refused operations to
the ``rejected`` table with the server's message: an ``INVALID_PARAMETER_VALUE`` batch is
bisected so that only the offending items are kept aside; the others are delivered.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx

from tracklog.client.batching import DEFAULT_LIMITS, _plan
from tracklog.client.spool._file import CREATE_RUN, METRIC, PARAM, TAG, TERMINATE, Op, SpoolFile, decode_value
from tracklog.entities import Metric, Param, RunStatus, RunTag, ViewType
from tracklog.exceptions import (
    AlreadyExists,
    InvalidArgument,
    MissingExtra,
    NotImplementedByServer,
    RateLimited,
    TemporarilyUnavailable,
    TrackingError,
)

if TYPE_CHECKING:
    from tracklog.store.base import TrackingStore

__all__ = ["LOCAL_ID_TAG", "Delivery", "Transient", "is_transient"]

LOCAL_ID_TAG = "tracklog.spool.local_id"
STEP_LIMIT = 5000  # operations read per step


class Transient(Exception):
    """The server could not be reached or asked us to come back later; nothing was lost."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.cause = cause


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (TemporarilyUnavailable, RateLimited)):
        return True
    if isinstance(exc, (NotImplementedByServer, MissingExtra)):
        return False
    if isinstance(exc, TrackingError):
        return exc.http_status >= 500 and exc.error_code in ("INTERNAL_ERROR", "TEMPORARILY_UNAVAILABLE")
    return isinstance(exc, (httpx.HTTPError, OSError))


class Delivery:
    """Ships the operations of ``spool`` through ``store`` (a ``RestStore``)."""

    def __init__(self, spool: SpoolFile, store: TrackingStore, tracking_uri: str) -> None:
        self.spool = spool
        self.store = store
        self.tracking_uri = tracking_uri
        self.errors: list[TrackingError] = []  # refusals not yet reported to the user
        self.delivered = 0
        self.mapped: dict[str, str] = {}  # local run id -> server run id, learned by this delivery

    def step(self, below: int | None = None) -> int:
        """Deliver up to ``STEP_LIMIT`` operations; return how many were handled (0: none left)."""
        ops = self.spool.pending(STEP_LIMIT, below)
        if not ops:
            return 0
        mapping = self.spool.run_mapping()
        open_batches: dict[str, list[Op]] = {}
        try:
            for op in ops:
                if op.kind in (METRIC, PARAM, TAG):
                    open_batches.setdefault(op.run_id, []).append(op)
                    continue
                self._send_logs(open_batches.pop(op.run_id, []), mapping)
                self._control(op, mapping)
            for run_id in list(open_batches):
                self._send_logs(open_batches.pop(run_id), mapping)
        except Exception as exc:
            if is_transient(exc):
                raise Transient(exc) from exc
            raise
        return len(ops)

    # -- log-batch ---------------------------------------------------------------------
    def _send_logs(self, ops: list[Op], mapping: dict[str, str | None]) -> None:
        if not ops:
            return
        server_id = self._server_id(ops[0].run_id, mapping)
        if server_id is None:
            self._refuse(ops, InvalidArgument(f"run {ops[0].run_id} was never created on the server"))
            return
        kept, superseded = _dedupe(ops)
        groups = {PARAM: [o for o in kept if o.kind == PARAM], TAG: [o for o in kept if o.kind == TAG],
                  METRIC: [o for o in kept if o.kind == METRIC]}
        counts = {"params": len(groups[PARAM]), "tags": len(groups[TAG]), "metrics": len(groups[METRIC])}
        for request in _plan(counts, DEFAULT_LIMITS):
            part = [groups[PARAM][i] for i in request["params"]] + [groups[TAG][i] for i in request["tags"]]
            part += [groups[METRIC][i] for i in request["metrics"]]
            self._send_part(server_id, part)
        if superseded:
            self.spool.delete([o.seq for o in superseded])

    def _send_part(self, server_id: str, ops: list[Op]) -> None:
        metrics = [_metric(o) for o in ops if o.kind == METRIC]
        params = [Param(str(o.key), str(o.value)) for o in ops if o.kind == PARAM]
        tags = [RunTag(str(o.key), str(o.value)) for o in ops if o.kind == TAG]
        try:
            self.store.log_batch(server_id, metrics, params, tags)
        except TrackingError as exc:
            if is_transient(exc):
                raise
            if isinstance(exc, InvalidArgument) and len(ops) > 1:
                half = len(ops) // 2
                self._send_part(server_id, ops[:half])
                self._send_part(server_id, ops[half:])
                return
            self._refuse(ops, exc)
            return
        self.spool.delete([o.seq for o in ops])
        self.delivered += len(ops)

    # -- run creation and termination -------------------------------------------------------
    def _control(self, op: Op, mapping: dict[str, str | None]) -> None:
        try:
            if op.kind == CREATE_RUN:
                created = self._create_run(op)
                mapping[op.run_id] = created
                self.spool.map_run(op.run_id, created)
                self.mapped[op.run_id] = created
            elif op.kind == TERMINATE:
                target = self._server_id(op.run_id, mapping)
                if target is None:
                    raise InvalidArgument(f"run {op.run_id} was never created on the server")
                if op.run_id in mapping:
                    self._upload_offline_artifacts(op.run_id, target)
                body = json.loads(op.extra or "{}")
                self.store.update_run_info(target, status=RunStatus.parse(body["status"]),
                                           end_time=body.get("end_time"))
        except TrackingError as exc:
            if is_transient(exc):
                raise
            self._refuse([op], exc)
            return
        self.spool.delete([op.seq])
        self.delivered += 1

    def _create_run(self, op: Op) -> str:
        body: dict[str, Any] = json.loads(op.extra or "{}")
        experiment_id = body.get("experiment_id")
        if body.get("experiment_name"):
            experiment_id = self._experiment_by_name(str(body["experiment_name"]))
        found = self.store.search_runs(
            [str(experiment_id)], f"tags.`{LOCAL_ID_TAG}` = '{op.run_id}'", ViewType.ALL, 1
        )
        if found:
            return found[0].info.run_id
        tags = [RunTag(k, v) for k, v in body.get("tags", {}).items()] + [RunTag(LOCAL_ID_TAG, op.run_id)]
        run = self.store.create_run(str(experiment_id), str(body.get("user_id") or ""), body.get("start_time"),
                                    tags, body.get("run_name"))
        return run.info.run_id

    def _experiment_by_name(self, name: str) -> str:
        experiment = self.store.get_experiment_by_name(name)
        if experiment is not None:
            return experiment.experiment_id
        try:
            return self.store.create_experiment(name)
        except AlreadyExists:
            again = self.store.get_experiment_by_name(name)
            if again is None:
                raise
            return again.experiment_id

    def upload_all_offline_artifacts(self) -> None:
        """Artifacts of runs whose process ended without ending them (``tracklog sync``)."""
        for local_id, server_id in self.spool.run_mapping().items():
            if server_id is not None:
                self._upload_offline_artifacts(local_id, server_id)

    def _upload_offline_artifacts(self, local_id: str, server_id: str) -> None:
        directory = self.spool.artifacts_dir / local_id
        if not directory.is_dir():
            return
        from tracklog.artifacts.registry import get_repository

        if any(directory.iterdir()):
            run = self.store.get_run(server_id)
            repo = get_repository(run.info.artifact_uri, tracking_uri=self.tracking_uri)
            repo.log_artifacts(str(directory), None)
        shutil.rmtree(directory, ignore_errors=True)

    # -- helpers --------------------------------------------------------------------------
    def _server_id(self, run_id: str, mapping: dict[str, str | None]) -> str | None:
        if run_id in mapping:
            return mapping[run_id]
        return run_id

    def _refuse(self, ops: Sequence[Op], exc: TrackingError) -> None:
        self.spool.reject(ops, f"{exc.error_code}: {exc.message}")
        what = ops[0].describe() if len(ops) == 1 else f"{len(ops)} operations"
        message = (
            f"the server refused {what} logged earlier to run {ops[0].run_id}: {exc.message} "
            f"(kept in the spool {self.spool.path}; 'tracklog sync --status' lists it)"
        )
        error = type(exc)(message, error_code=exc.error_code)
        self.errors.append(error)


def _metric(op: Op) -> Metric:
    extra: dict[str, Any] = json.loads(op.extra) if op.extra else {}
    return Metric(str(op.key), decode_value(METRIC, op.value), int(op.ts or 0), int(op.step or 0),
                  model_id=extra.get("model_id"), dataset_name=extra.get("dataset_name"),
                  dataset_digest=extra.get("dataset_digest"))


def _dedupe(ops: list[Op]) -> tuple[list[Op], list[Op]]:
    """Drop repeats inside one run's batch: the last value of a tag wins, identical items go once."""
    last_tag: dict[str, int] = {}
    for i, op in enumerate(ops):
        if op.kind == TAG:
            last_tag[str(op.key)] = i
    seen: set[tuple[Any, ...]] = set()
    kept: list[Op] = []
    dropped: list[Op] = []
    for i, op in enumerate(ops):
        if op.kind == TAG:
            duplicate = last_tag[str(op.key)] != i
        else:
            identity = (op.kind, op.key, repr(op.value), op.ts, op.step, op.extra)
            duplicate = identity in seen
            seen.add(identity)
        (dropped if duplicate else kept).append(op)
    return kept, dropped
