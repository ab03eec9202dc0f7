"""Personal access tokens: ``tl_<43 url-safe characters>``; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["TOKEN_PREFIX", "hash_token", "looks_like_token", "new_token"]

TOKEN_PREFIX = "tl_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(text: str) -> bool:
    return text.startswith(TOKEN_PREFIX) and 20 < len(text) < 200
