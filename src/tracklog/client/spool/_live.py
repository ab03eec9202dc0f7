"""The spool of a live process: an in-memory queue, a writer thread and a sender thread.

``log_*`` calls append a tuple to an in-memory deque and return (well under 20 µs). The
writer thread moves the queue into the spool file in one transaction every
``commit_interval`` (5 ms by default): a point is *durable* once that commit has happened,
and a process killed with ``kill -9`` loses at most the points of the last interval.
``flush()`` commits the queue itself before it waits. The sender thread delivers what the
file holds (see ``_deliver``) and retries transient failures with capped exponential
backoff for as long as the process lives.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import replace
from typing import Any

from tracklog.client.spool._deliver import Delivery, Transient
from tracklog.client.spool._file import CREATE_RUN, METRIC, PARAM, TAG, TERMINATE, Row, SpoolFile, encode_value
from tracklog.client.spool._settings import SpoolSettings
from tracklog.entities import Run, RunInfo, RunStatus
from tracklog.exceptions import TemporarilyUnavailable, TrackingError

__all__ = ["LiveSpool"]

_QueueItem = tuple[int, str, int, str | None, Any, int | None, int | None, str | None]
IDLE_POLL_S = 1.0


class LiveSpool:
    """The spool of this process for one tracking URI."""

    def __init__(self, tracking_uri: str, settings: SpoolSettings) -> None:
        from tracklog.client.transport import HttpSettings, get_transport
        from tracklog.store.rest import RestStore

        self.tracking_uri = tracking_uri
        self.settings = settings
        self.file = SpoolFile.create(settings.directory, tracking_uri)
        # The sender does its own endless retrying: one attempt per call, modest timeouts.
        http = replace(HttpSettings.from_env(), max_retries=0, read_timeout=60.0, connect_timeout=5.0)
        self._delivery = Delivery(self.file, RestStore(tracking_uri, transport=get_transport(tracking_uri, http)),
                                  tracking_uri)
        self._queue: deque[_QueueItem] = deque()
        self._seq = itertools.count(1)
        self._drain_lock = threading.Lock()
        self._cond = threading.Condition()
        self._wake = threading.Event()
        self._low = sys.maxsize  # smallest seq still in the file (maxsize: none)
        self.durable_seq = 0  # highest sequence number committed to the spool file
        self._last_error: str | None = None
        self._errors: list[TrackingError] = []
        self.error_pending = False  # checked on every call: cheap
        self._offline: dict[str, str | None] = {}  # local run id -> server run id (None until synced)
        self._closed = False
        self.exiting = False  # at interpreter exit: end_run queues its update without waiting
        self._writer = threading.Thread(target=self._write_loop, name="tracklog-spool-writer", daemon=True)
        self._sender = threading.Thread(target=self._send_loop, name="tracklog-spool-sender", daemon=True)
        self._writer.start()
        self._sender.start()

    # -- the hot path ------------------------------------------------------------------------
    def log_metric(self, run_id: str, key: str, value: float, timestamp: int, step: int,
                   extra: str | None = None) -> None:
        self._queue.append((next(self._seq), run_id, METRIC, key, value, timestamp, step, extra))
        if self.error_pending:  # an earlier write was refused: say so (this one is queued)
            self.raise_errors()

    def log_param(self, run_id: str, key: str, value: str) -> None:
        self._queue.append((next(self._seq), run_id, PARAM, key, value, None, None, None))
        if self.error_pending:  # an earlier write was refused: say so (this one is queued)
            self.raise_errors()

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        self._queue.append((next(self._seq), run_id, TAG, key, value, None, None, None))
        if self.error_pending:  # an earlier write was refused: say so (this one is queued)
            self.raise_errors()

    def terminate(self, run_id: str, status: RunStatus, end_time: int) -> None:
        extra = json.dumps({"status": status.value, "end_time": end_time})
        self._queue.append((next(self._seq), run_id, TERMINATE, None, None, None, None, extra))

    def mark(self) -> int:
        """A sequence number after everything logged so far by this thread.

        Once ``durable_seq >= mark()``, those writes are in the spool file and survive the
        death of the process (``kill -9``)."""
        return next(self._seq)

    # -- offline runs ------------------------------------------------------------------------
    def create_offline_run(self, experiment_id: str | None, experiment_name: str | None, user_id: str,
                           start_time: int, tags: dict[str, str], run_name: str | None) -> Run:
        local_id = uuid.uuid4().hex
        self.file.add_offline_run(local_id, experiment_id, experiment_name)
        self._offline[local_id] = None
        body = {"experiment_id": experiment_id, "experiment_name": experiment_name, "user_id": user_id,
                "start_time": start_time, "tags": tags, "run_name": run_name}
        self._queue.append((next(self._seq), local_id, CREATE_RUN, None, None, None, None, json.dumps(body)))
        self._drain()
        artifacts = self.file.artifacts_dir / local_id
        artifacts.mkdir(parents=True, exist_ok=True)
        info = RunInfo(run_id=local_id, experiment_id=experiment_id or f"offline:{experiment_name}",
                       run_name=run_name or "", user_id=user_id, status=RunStatus.RUNNING,
                       start_time=start_time, end_time=None, artifact_uri=artifacts.as_uri())
        return Run(info)

    def is_offline(self, run_id: str) -> bool:
        """True for a run created offline that the server does not have yet."""
        return run_id in self._offline and self._offline[run_id] is None

    def resolve(self, run_id: str) -> str:
        """The server's id for ``run_id`` (itself unless the run was created offline)."""
        if run_id not in self._offline:
            return run_id
        server_id = self._offline[run_id]
        if server_id is None:
            raise TemporarilyUnavailable(
                f"run {run_id} was created offline and is not on the server yet; its data is kept in "
                f"the spool {self.file.path} (call tracklog.flush() or run 'tracklog sync' once the "
                "server is reachable)"
            )
        return server_id

    def offline_artifact_dir(self, run_id: str) -> str:
        return str(self.file.artifacts_dir / run_id)

    # -- errors -------------------------------------------------------------------------------
    def raise_errors(self) -> None:
        with self._cond:
            errors, self._errors = self._errors, []
            self.error_pending = False
        if not errors:
            return
        first = errors[0]
        if len(errors) > 1:
            raise type(first)(f"{first.message} (and {len(errors) - 1} more refusal(s))", error_code=first.error_code)
        raise first

    # -- flush --------------------------------------------------------------------------------
    def flush(self, timeout: float | None = None, *, raise_errors: bool = True) -> bool:
        """Wait until everything logged before this call is delivered (or ``timeout`` passes).

        Returns True when it was; on a timeout raises ``TemporarilyUnavailable`` naming what
        is pending, unless ``raise_errors`` is False (then returns False)."""
        self._drain()
        target = next(self._seq)
        wait = self.settings.flush_timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        with self._cond:
            self._wake.set()
            while self._low < target and not self._errors:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.5))
                self._wake.set()
            done = self._low >= target
        if raise_errors:
            self.raise_errors()
            if not done:
                raise TemporarilyUnavailable(self.pending_message(wait))
        return done

    def pending_message(self, waited: float) -> str:
        counts = self.file.counts()
        reason = f" (last error: {self._last_error})" if self._last_error else ""
        return (
            f"{counts['pending']} write(s) to {self.tracking_uri} were not delivered within {waited:g}s{reason}. "
            f"They are kept in the spool {self.file.path}: they are sent in the background while this "
            "process runs, and 'tracklog sync' uploads them later."
        )

    # -- threads -------------------------------------------------------------------------------
    def _drain(self) -> None:
        with self._drain_lock:
            rows: list[Row] = []
            queue = self._queue
            while queue:
                try:
                    seq, run_id, kind, key, value, ts, step, extra = queue.popleft()
                except IndexError:
                    break
                rows.append((seq, run_id, kind, key, encode_value(kind, value), ts, step, extra))
            if rows and not self._closed:
                self.file.append(rows)
                self.durable_seq = max(self.durable_seq, max(r[0] for r in rows))
                with self._cond:
                    self._low = min(self._low, min(r[0] for r in rows))
                self._wake.set()

    def _write_loop(self) -> None:
        interval = self.settings.commit_interval
        while not self._closed:
            time.sleep(interval)
            try:
                self._drain()
            except Exception as exc:  # noqa: BLE001 - keep the thread alive; report it
                self._last_error = f"spool write failed: {exc}"
                time.sleep(0.5)

    def _send_loop(self) -> None:
        backoff = 0.0
        while not self._closed:
            self._wake.wait(backoff if backoff else IDLE_POLL_S)
            self._wake.clear()
            if self._closed:
                return
            try:
                backoff = self._send_round(backoff)
            except Exception:  # noqa: BLE001 - only once the spool is closed under us (exit)
                if self._closed:
                    return
                raise

    def _send_round(self, backoff: float) -> float:
        """Deliver until nothing is left or an error; return the next backoff (0: none)."""
        try:
            while self._delivery.step():
                self._after_step()
            self._after_step()
            self._last_error = None
            return 0.0
        except Transient as exc:
            self._last_error = str(exc)
        except Exception as exc:  # noqa: BLE001 - a bug must not kill delivery silently
            if self._closed:
                raise
            self._last_error = f"{type(exc).__name__}: {exc}"
            with self._cond:
                self._errors.append(TrackingError(f"tracklog spool delivery failed: {exc}"))
                self.error_pending = True
        self._after_step()
        backoff = min(self.settings.backoff_max, max(0.1, backoff * 2))
        time.sleep(backoff)
        return backoff

    def _after_step(self) -> None:
        with self._cond:  # read under the lock: a concurrent commit lowers _low after we set it
            self._low = self._min_pending()
            for local_id, server_id in self._delivery.mapped.items():
                self._offline[local_id] = server_id
            if self._delivery.errors:
                self._errors.extend(self._delivery.errors)
                self._delivery.errors.clear()
                self.error_pending = True
            self._cond.notify_all()

    def _min_pending(self) -> int:
        pending = self.file.pending(1)
        return pending[0].seq if pending else sys.maxsize

    # -- shutdown -------------------------------------------------------------------------------
    def close_at_exit(self) -> None:
        """Flush with the exit timeout; say what is left and where; delete a delivered spool."""
        try:
            done = self.flush(self.settings.exit_timeout, raise_errors=False)
        except Exception as exc:  # noqa: BLE001 - never fail interpreter shutdown
            done = False
            self._last_error = str(exc)
        errors = list(self._errors)
        counts = self.file.counts()
        for error in errors:
            print(f"tracklog: {error.message}", file=sys.stderr)
        if not done:
            print(f"tracklog: {self.pending_message(self.settings.exit_timeout)}", file=sys.stderr)
        self._closed = True
        self._wake.set()
        self._sender.join(timeout=2.0)  # it may be in a request: then the file stays for sync
        with contextlib.suppress(Exception):
            self._drain_lock.acquire(timeout=1.0)
        clean = done and counts["pending"] == 0 and counts["rejected"] == 0 and not self.file.has_artifacts()
        if counts["rejected"]:
            print(f"tracklog: {counts['rejected']} refused write(s) are kept in {self.file.path}", file=sys.stderr)
        self.file.close(delete=clean)

