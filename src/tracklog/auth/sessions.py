"""Browser sessions: the cookie's secret, its stored hash and the CSRF token bound to it.

* ``tracklog_session`` (HttpOnly, SameSite=Lax, Secure over https): a random secret; the
  database keeps only its SHA-256 (``auth_sessions``), so a leaked table opens no session.
* ``tracklog_csrf`` (readable by the UI's JavaScript, SameSite=Strict): a one-way derivation of
  the session secret. Every state-changing request authenticated by the session cookie must
  echo it in the ``X-CSRF-Token`` header; a cross-site page can neither read the cookie nor
  set the header, and the value does not reveal the session secret.
* ``tracklog_signin`` (HttpOnly, SameSite=Strict): the sign-in form's own CSRF value (double
  submit), so a foreign page cannot sign a victim into the attacker's account.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "SIGNIN_COOKIE",
    "csrf_matches",
    "csrf_token",
    "hash_session",
    "new_secret",
]

SESSION_COOKIE = "tracklog_session"
CSRF_COOKIE = "tracklog_csrf"
SIGNIN_COOKIE = "tracklog_signin"
CSRF_HEADER = "x-csrf-token"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_session(secret: str) -> str:
    return hashlib.sha256(b"tracklog-session\0" + secret.encode("utf-8")).hexdigest()


def csrf_token(secret: str) -> str:
    return hashlib.sha256(b"tracklog-csrf\0" + secret.encode("utf-8")).hexdigest()


def csrf_matches(secret: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(secret), str(presented))
