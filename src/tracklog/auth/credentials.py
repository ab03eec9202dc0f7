"""Parsing ``Authorization`` headers and caching successful Basic verifications.

The cache keys are an HMAC (with a per-process random key) of ``username NUL password``,
so neither passwords nor plain hashes of them sit in memory. An entry remembers the
user's ``credential_version``; the caller compares it with the database on every hit,
so a changed password or a deleted user is refused at once, in every worker.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["BasicCredentials", "CredentialCache", "parse_authorization"]


@dataclass(frozen=True, slots=True)
class BasicCredentials:
    username: str
    password: str


def parse_authorization(value: str | None) -> BasicCredentials | str | None:
    """``Basic`` -> credentials, ``Bearer`` -> the token string, nothing -> None.

    A malformed header raises ``ValueError``."""
    if not value:
        return None
    scheme, _, rest = value.strip().partition(" ")
    rest = rest.strip()
    if scheme.lower() == "bearer" and rest:
        return rest
    if scheme.lower() == "basic" and rest:
        try:
            decoded = base64.b64decode(rest, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ValueError("Malformed Basic credentials") from None
        username, sep, password = decoded.partition(":")
        if not sep or not username:
            raise ValueError("Malformed Basic credentials")
        return BasicCredentials(username, password)
    raise ValueError("Unsupported Authorization scheme (use Basic or Bearer)")


@dataclass(frozen=True, slots=True)
class _Entry:
    user_id: int
    credential_version: int
    expires: float


class CredentialCache:
    def __init__(self, ttl: float = 300.0, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._key = os.urandom(32)
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def _digest(self, creds: BasicCredentials) -> bytes:
        message = creds.username.encode("utf-8") + b"\0" + creds.password.encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def get(self, creds: BasicCredentials) -> tuple[int, int] | None:
        """(user_id, credential_version) of a still-fresh verification, else None."""
        digest = self._digest(creds)
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if entry.expires <= self._clock():
                del self._entries[digest]
                return None
            return entry.user_id, entry.credential_version

    def put(self, creds: BasicCredentials, user_id: int, credential_version: int) -> None:
        digest = self._digest(creds)
        with self._lock:
            self._entries[digest] = _Entry(user_id, credential_version, self._clock() + self.ttl)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget(self, creds: BasicCredentials) -> None:
        with self._lock:
            self._entries.pop(self._digest(creds), None)
