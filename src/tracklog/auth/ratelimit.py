"""Failed-login limiting: at most ``limit`` failures per key within ``window`` seconds.

Keys are ``user:<name>`` and ``ip:<address>``; while a key is over its limit, attempts are
refused (429) before any password is checked, so bad credentials cannot burn CPU either.
The state is per process (each worker counts on its own).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["FailureLimiter"]

_MAX_KEYS = 100_000


class FailureLimiter:
    def __init__(self, limit: int = 10, window: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float] | None:
        entries = self._failures.get(key)
        if entries is None:
            return None
        while entries and entries[0] <= now - self.window:
            entries.popleft()
        if not entries:
            del self._failures[key]
            return None
        return entries

    def blocked(self, *keys: str) -> bool:
        now = self._clock()
        with self._lock:
            return any(len(e) >= self.limit for e in (self._recent(k, now) for k in keys) if e)

    def fail(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) > _MAX_KEYS:  # a flood of distinct keys: forget the oldest half
                for key in list(self._failures)[: _MAX_KEYS // 2]:
                    del self._failures[key]
            for key in keys:
                entries = self._failures.setdefault(key, deque())
                entries.append(now)
                if len(entries) > self.limit:
                    entries.popleft()
