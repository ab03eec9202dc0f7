"""Offline mode: runs (and experiments by name) started while the server cannot be reached.

``create_run_or_offline`` asks the server once, with a short connect timeout and a single
retry; when the server cannot be reached at all (connection refused, connect timeout; a
busy server answering 503 is retried as usual) it creates the run in the spool under a local id
(a UUID like the server's ids) and warns. The run's writes and artifacts stay in the spool;
the sender creates the run on the server when it comes back (searching first for the tag
``tracklog.spool.local_id`` so it is created once) and maps the local id to the server's.

An experiment set by name while offline gets the id ``offline:<name>``; runs started in it
are created in the experiment of that name (created if missing) when they are delivered.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace
from typing import TYPE_CHECKING

from tracklog.entities import Experiment, LifecycleStage, Run, RunTag
from tracklog.exceptions import TemporarilyUnavailable

if TYPE_CHECKING:
    from tracklog.client.spool._live import LiveSpool
    from tracklog.store.base import TrackingStore
    from tracklog.store.rest import RestStore

__all__ = [
    "OFFLINE_EXPERIMENT_PREFIX",
    "create_run_or_offline",
    "offline_allowed",
    "offline_experiment",
    "probe_store",
    "unreachable",
]

OFFLINE_EXPERIMENT_PREFIX = "offline:"


def probe_store(tracking_uri: str) -> RestStore:
    """A REST store that gives up quickly when the server cannot be reached."""
    from tracklog.client.transport import HttpSettings, get_transport
    from tracklog.store.rest import RestStore

    settings = replace(HttpSettings.from_env(), connect_timeout=3.0, max_retries=1, backoff_factor=0.2,
                       backoff_jitter=0.1, retry_budget=1.0)
    return RestStore(tracking_uri, transport=get_transport(tracking_uri, settings))


def offline_experiment(name: str) -> Experiment:
    now = int(time.time() * 1000)
    return Experiment(OFFLINE_EXPERIMENT_PREFIX + name, name, "", LifecycleStage.ACTIVE, now, now, ())


def unreachable(exc: TemporarilyUnavailable) -> bool:
    """True when the request never reached the server (refused, no route, connect timeout).

    A 503 or 429 answer means the server is there but busy: the caller retries as usual."""
    import httpx

    return isinstance(exc.__cause__, (httpx.ConnectError, httpx.ConnectTimeout))


def offline_allowed() -> bool:
    from tracklog.client.spool._settings import OFFLINE_ENV, _flag, async_enabled

    return async_enabled() and _flag(OFFLINE_ENV, True)


def create_run_or_offline(
    spool: LiveSpool,
    store: TrackingStore,
    experiment_id: str,
    user_id: str,
    start_time: int,
    tags: dict[str, str],
    run_name: str | None,
) -> Run:
    """Create the run on the server; in the spool if the server cannot be reached at all."""
    run_tags = [RunTag(k, v) for k, v in tags.items()]
    if experiment_id.startswith(OFFLINE_EXPERIMENT_PREFIX):
        name = experiment_id[len(OFFLINE_EXPERIMENT_PREFIX):]
        run = spool.create_offline_run(None, name, user_id, start_time, tags, run_name)
        reason = f"experiment {name!r} was set offline"
    else:
        try:
            return probe_store(spool.tracking_uri).create_run(experiment_id, user_id, start_time, run_tags, run_name)
        except TemporarilyUnavailable as exc:
            if not unreachable(exc):  # busy, not away: the usual retries (a 503 created nothing)
                return store.create_run(experiment_id, user_id, start_time, run_tags, run_name)
            run = spool.create_offline_run(experiment_id, None, user_id, start_time, tags, run_name)
            reason = exc.message
    warnings.warn(
        f"tracklog: the tracking server {spool.tracking_uri} cannot be reached ({reason}); "
        f"run {run.info.run_id} is created offline in the spool {spool.file.path} and will be "
        "uploaded when the server is back, or by 'tracklog sync'.",
        stacklevel=4,
    )
    return run
