"""Environment switches of the spool (async logging, where files go, how long waits last)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from tracklog.exceptions import InvalidArgument

__all__ = ["SpoolSettings", "async_enabled", "default_spool_dir"]

ASYNC_ENV = "TRACKLOG_ASYNC_LOGGING"
SPOOL_DIR_ENV = "TRACKLOG_SPOOL_DIR"
COMMIT_INTERVAL_ENV = "TRACKLOG_SPOOL_COMMIT_INTERVAL_MS"
FLUSH_TIMEOUT_ENV = "TRACKLOG_FLUSH_TIMEOUT"
EXIT_TIMEOUT_ENV = "TRACKLOG_EXIT_FLUSH_TIMEOUT"
OFFLINE_ENV = "TRACKLOG_OFFLINE_MODE"
BACKOFF_MAX_ENV = "TRACKLOG_SPOOL_BACKOFF_MAX"


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise InvalidArgument(f"{name} must be true or false, got {raw!r}")


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidArgument(f"{name} must be a number, got {raw!r}") from None
    if value < 0 or math.isnan(value):
        raise InvalidArgument(f"{name} must not be negative, got {raw!r}")
    return value


def async_enabled() -> bool:
    """``TRACKLOG_ASYNC_LOGGING`` (default true): spool writes to a tracking server."""
    return _flag(ASYNC_ENV, True)


def default_spool_dir() -> Path:
    """``TRACKLOG_SPOOL_DIR``, else ``$XDG_CACHE_HOME/tracklog/spool`` (``~/.cache/tracklog/spool``)."""
    explicit = os.environ.get(SPOOL_DIR_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "tracklog" / "spool"


@dataclass(frozen=True, slots=True)
class SpoolSettings:
    directory: Path
    commit_interval: float = 0.005  # seconds between group commits of the writer thread
    flush_timeout: float = 60.0  # default wait of flush(), reads and end_run()
    exit_timeout: float = 30.0  # wait at interpreter exit
    backoff_max: float = 5.0  # longest pause between delivery attempts while the server is away
    offline: bool = True  # create runs locally when the server cannot be reached

    @classmethod
    def from_env(cls) -> SpoolSettings:
        return cls(
            directory=default_spool_dir(),
            commit_interval=_number(COMMIT_INTERVAL_ENV, 5.0) / 1000.0,
            flush_timeout=_number(FLUSH_TIMEOUT_ENV, 60.0),
            exit_timeout=_number(EXIT_TIMEOUT_ENV, 30.0),
            backoff_max=max(0.05, _number(BACKOFF_MAX_ENV, 5.0)),
            offline=_flag(OFFLINE_ENV, True),
        )
