"""Non-blocking logging to a tracking server through a durable local spool.

With an ``http(s)`` tracking URI, ``log_metric(s)``, ``log_param(s)`` and ``set_tag(s)``
append to this process's spool (a SQLite file under ``TRACKLOG_SPOOL_DIR``) and return; a
background thread delivers the spool to the server. ``TRACKLOG_ASYNC_LOGGING=false`` (or
``synchronous=True`` on a call) writes straight to the server as before. Runs started while
the server is unreachable are created in the spool and uploaded later, by this process when
the server comes back or by ``tracklog sync``. See docs/reliability.md.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading

from tracklog.client.spool._deliver import LOCAL_ID_TAG
from tracklog.client.spool._live import LiveSpool
from tracklog.client.spool._settings import SpoolSettings, async_enabled, default_spool_dir

__all__ = [
    "LOCAL_ID_TAG",
    "LiveSpool",
    "SpoolSettings",
    "async_enabled",
    "close",
    "default_spool_dir",
    "flush",
    "live_spool",
    "spool_for",
]

_lock = threading.Lock()
_spools: dict[tuple[int, str], LiveSpool] = {}
_atexit_pid: int | None = None


def live_spool(tracking_uri: str) -> LiveSpool | None:
    """This process's spool for ``tracking_uri`` if one was started, else None."""
    return _spools.get((os.getpid(), tracking_uri))


def spool_for(tracking_uri: str) -> LiveSpool:
    """This process's spool for ``tracking_uri``, started on first use."""
    global _atexit_pid
    key = (os.getpid(), tracking_uri)
    spool = _spools.get(key)
    if spool is not None:
        return spool
    with _lock:
        spool = _spools.get(key)
        if spool is None:
            spool = _spools[key] = LiveSpool(tracking_uri, SpoolSettings.from_env())
            if _atexit_pid != os.getpid():
                atexit.register(_close_all_at_exit)
                _atexit_pid = os.getpid()
        return spool


def flush(timeout: float | None = None) -> None:
    """Deliver everything logged so far by this process to every tracking server.

    Waits at most ``timeout`` seconds (default ``TRACKLOG_FLUSH_TIMEOUT``, 60 s); raises
    ``TemporarilyUnavailable`` naming what is still pending after that, and the server's
    error for any write it refused."""
    for spool in [s for (pid, _), s in list(_spools.items()) if pid == os.getpid()]:
        spool.flush(timeout)


def close(tracking_uri: str) -> None:
    """Stop this process's spool for ``tracking_uri`` as at exit (bounded flush, message, cleanup)."""
    with _lock:
        spool = _spools.pop((os.getpid(), tracking_uri), None)
    if spool is not None:
        spool.exiting = True
        spool.close_at_exit()


def _close_all_at_exit() -> None:
    from tracklog.client import _active

    for spool in list(_spools.values()):
        spool.exiting = True
    with contextlib.suppress(Exception):
        _active._end_all_at_exit()  # end forgotten runs first: their end goes through the spool too
    with _lock:
        mine = [(k, s) for k, s in _spools.items() if k[0] == os.getpid()]
        for key, _ in mine:
            del _spools[key]
    for _, spool in mine:
        with contextlib.suppress(Exception):
            spool.close_at_exit()
