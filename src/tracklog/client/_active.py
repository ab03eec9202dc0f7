"""The active-run stack of the fluent API.

Each thread has its own stack (a nested run is pushed on top of its parent).
Every run started by the fluent API is also recorded, with the id of the
process that started it, in a process-wide table: at interpreter exit the
runs of *this* process that are still active are ended (FINISHED), so a script
that forgets ``end_run`` leaves no run RUNNING, and a forked child never ends
its parent's runs.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
from types import TracebackType
from typing import TYPE_CHECKING

from tracklog.entities import Run, RunData, RunInfo, RunInputs, RunOutputs, RunStatus

if TYPE_CHECKING:
    from tracklog.client.tracking import TrackingClient
    from tracklog.system_metrics import SystemMetricsMonitor

__all__ = ["ActiveRun"]


class ActiveRun:
    """A run started by ``start_run``; use it as a context manager to end it.

    ``info``/``data`` are a snapshot taken when the run started (as in MLflow);
    call ``tracklog.get_run(run.info.run_id)`` for the current state."""

    def __init__(self, run: Run, client: TrackingClient) -> None:
        self._run = run
        self._client = client
        self._pid = os.getpid()
        self.monitor: SystemMetricsMonitor | None = None  # set by start_run(log_system_metrics=True)

    @property
    def info(self) -> RunInfo:
        return self._run.info

    @property
    def data(self) -> RunData:
        return self._run.data

    @property
    def inputs(self) -> RunInputs:
        return self._run.inputs

    @property
    def outputs(self) -> RunOutputs:
        return self._run.outputs

    @property
    def run(self) -> Run:
        return self._run

    @property
    def client(self) -> TrackingClient:
        return self._client

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        status = RunStatus.FINISHED if exc_type is None else RunStatus.FAILED
        end_until(self.info.run_id, status)

    def __repr__(self) -> str:
        return f"<ActiveRun: run_id={self.info.run_id!r}, experiment_id={self.info.experiment_id!r}>"


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.stack: list[ActiveRun] = []
        self.last_run_id: str | None = None
        self.last_client: TrackingClient | None = None


_state = _ThreadState()
_registry_lock = threading.Lock()
_registry: dict[str, ActiveRun] = {}  # every fluent run still active, in any thread
_atexit_registered = False


def stack() -> list[ActiveRun]:
    if _state.pid != os.getpid():  # inherited through fork: not ours
        _state.pid = os.getpid()
        _state.stack = []
    return _state.stack


def top() -> ActiveRun | None:
    runs = stack()
    return runs[-1] if runs else None


def push(active: ActiveRun) -> None:
    global _atexit_registered
    stack().append(active)
    with _registry_lock:
        _registry[active.info.run_id] = active
        if not _atexit_registered:
            atexit.register(_end_all_at_exit)
            _atexit_registered = True


def end_top(status: RunStatus) -> ActiveRun | None:
    """Pop the innermost active run of this thread and terminate it with ``status``."""
    runs = stack()
    if not runs:
        return None
    active = runs.pop()
    _forget(active)
    _state.last_run_id = active.info.run_id
    _state.last_client = active.client
    _stop_monitor(active)
    active.client.set_terminated(active.info.run_id, status)
    return active


def _stop_monitor(active: ActiveRun) -> None:
    if active.monitor is not None:
        active.monitor.stop()
        active.monitor = None


def end_until(run_id: str, status: RunStatus) -> None:
    """End ``run_id`` and every run nested above it (used by ``ActiveRun.__exit__``)."""
    runs = stack()
    if not any(r.info.run_id == run_id for r in runs):
        return  # already ended (e.g. end_run() inside the with block)
    while runs:
        ended = end_top(status)
        if ended is None or ended.info.run_id == run_id:
            return


def last_run_id() -> str | None:
    return _state.last_run_id


def last_client() -> TrackingClient | None:
    return _state.last_client


def _forget(active: ActiveRun) -> None:
    with _registry_lock:
        _registry.pop(active.info.run_id, None)


def _end_all_at_exit() -> None:
    with _registry_lock:
        leftovers = [r for r in _registry.values() if r._pid == os.getpid()]
        _registry.clear()
    for active in reversed(leftovers):  # children before parents
        with contextlib.suppress(Exception):  # never fail interpreter shutdown
            _stop_monitor(active)
            active.client.set_terminated(active.info.run_id, RunStatus.FINISHED)
    _state.stack = []


def _reset() -> None:
    """Forget every active run without ending it (tests)."""
    with _registry_lock:
        _registry.clear()
    _state.stack = []
    _state.last_run_id = None
    _state.last_client = None
