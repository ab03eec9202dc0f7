"""Password hashing with the standard library's scrypt (no new dependency).

Stored form: ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>``; the parameters travel with
the hash so they can be raised later without invalidating existing users.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

__all__ = ["MIN_PASSWORD_LENGTH", "check_password_strength", "hash_password", "verify_password"]

MIN_PASSWORD_LENGTH = 12
_N, _R, _P = 2**14, 8, 1
_SALT_BYTES = 16
_KEY_BYTES = 32
_MAXMEM = 64 * 1024 * 1024


def check_password_strength(password: str) -> None:
    """Raise ``ValueError`` for a password that may not be set."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"Passwords must be at least {MIN_PASSWORD_LENGTH} characters long")
    if password.strip() != password or not password.strip():
        raise ValueError("Passwords may not start or end with whitespace")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM,
                          dklen=_KEY_BYTES)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    salt = os.urandom(_SALT_BYTES)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(_scrypt(password, salt, _N, _R, _P))}"


# Verifying against this keeps unknown users as slow as known ones.
_DUMMY = hash_password("tracklog-dummy-password")


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time check of ``password`` against a stored hash (None: never matches)."""
    target = stored or _DUMMY
    try:
        scheme, n, r, p, salt, expected = target.split("$")
        if scheme != "scrypt":
            return False
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, base64.b64decode(expected)) and stored is not None
