"""``AuthService``: who is calling (authentication) and what they may do on an experiment.

Authentication, in order:

1. trusted reverse proxy: when ``proxy_header`` is configured and the TCP peer is in
   ``trusted_proxies``, the header names the user (created on first sight, non-admin,
   without password); from any other peer the header is ignored;
2. ``Authorization: Bearer tl_...``: a personal access token (SHA-256 looked up, expiry checked);
3. ``Authorization: Basic``: username and password (scrypt), rate limited per username and
   per client address, successful checks cached (see ``credentials.py``);
4. the ``tracklog_session`` cookie of the sign-in page (``login``; see ``sessions.py``): the
   password is verified once, at sign-in, with the same rate limiting as Basic.

Experiment permissions: admins have MANAGE everywhere; otherwise the user's own grant (or,
without one, the configured default), raised by the grants of the user's groups (the highest
wins). An explicit user grant below the default therefore lowers that user, unless a group
gives more.

No credentials -> anonymous (``None``); wrong credentials -> ``Unauthenticated``.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from tracklog.auth.credentials import BasicCredentials, CredentialCache, parse_authorization
from tracklog.auth.passwords import check_password_strength, hash_password, verify_password
from tracklog.auth.ratelimit import FailureLimiter
from tracklog.auth.rules import Level
from tracklog.auth.sessions import hash_session, new_secret
from tracklog.auth.tokens import hash_token, new_token
from tracklog.exceptions import InvalidArgument, RateLimited, Unauthenticated
from tracklog.store.sql.auth_store import AuthStore, TokenRow, UserRow

__all__ = ["AuthConfig", "AuthService", "Principal", "ReadableSet"]

logger = logging.getLogger("tracklog.auth")
MAX_USERNAME = 256


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    username: str
    is_admin: bool
    via: str = "password"  # password | token | proxy | session
    session: str | None = None  # the session secret (via == "session"), for CSRF and sign-out


@dataclass(frozen=True, slots=True)
class ReadableSet:
    """The experiments a user may read (or holds another level on): all (admins), all but ``ids``, or only ``ids``."""

    everything: bool
    exclude: bool
    ids: frozenset[int]

    def allows(self, experiment_id: int) -> bool:
        return self.everything or ((experiment_id in self.ids) != self.exclude)


@dataclass(frozen=True, slots=True)
class AuthConfig:
    default_permission: Level = Level.NO_PERMISSIONS
    proxy_header: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    failure_limit: int = 10
    failure_window: float = 300.0
    cache_ttl: float = 300.0
    session_lifetime: float = 12 * 3600.0  # seconds, absolute (from sign-in)
    secure_cookies: bool = False  # always mark cookies Secure (else only over https)


def _principal(user: UserRow, via: str = "password") -> Principal:
    return Principal(user.user_id, user.username, user.is_admin, via)


def validate_username(username: str) -> str:
    if not username or len(username) > MAX_USERNAME or username != username.strip() \
            or any(ord(c) < 32 or c == ":" for c in username):
        raise InvalidArgument("Usernames are 1-256 characters, without ':', control characters or "
                              "surrounding whitespace")
    return username


def _strong(password: str) -> str:
    try:
        check_password_strength(password)
    except ValueError as exc:
        raise InvalidArgument(str(exc)) from None
    return password


class AuthService:
    def __init__(self, store: AuthStore, config: AuthConfig) -> None:
        self.store = store
        self.config = config
        self.cache = CredentialCache(ttl=config.cache_ttl)
        self.limiter = FailureLimiter(config.failure_limit, config.failure_window)
        self._proxies = [ipaddress.ip_network(n.strip(), strict=False) for n in config.trusted_proxies if n.strip()]

    # -- authentication ------------------------------------------------------------
    def authenticate(self, authorization: str | None, proxy_user: str | None, peer: str | None) -> Principal | None:
        if proxy_user is not None and self.config.proxy_header and self._trusted(peer):
            return self._proxy_principal(proxy_user)
        try:
            parsed = parse_authorization(authorization)
        except ValueError as exc:
            raise Unauthenticated(str(exc)) from None
        if parsed is None:
            return None
        if isinstance(parsed, str):
            return self._token_principal(parsed, peer)
        return self._basic_principal(parsed, peer)

    def _trusted(self, peer: str | None) -> bool:
        if not peer:
            return False
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in net for net in self._proxies)

    def _proxy_principal(self, username: str) -> Principal:
        username = validate_username(username.strip())
        user = self.store.get_user(username)
        if user is None:
            try:
                user = self.store.create_user(username, None, is_admin=False)
            except Exception:  # noqa: BLE001 - created concurrently by another request
                user = self.store.require_user(username)
        return _principal(user, "proxy")

    def _token_principal(self, token: str, peer: str | None) -> Principal:
        keys = (f"ip:{peer}",)
        if self.limiter.blocked(*keys):
            raise RateLimited("Too many failed sign-in attempts; try again later")
        user = self.store.user_for_token(hash_token(token), int(time.time() * 1000))
        if user is None:
            self.limiter.fail(*keys)
            raise Unauthenticated("Invalid, expired or revoked access token")
        return _principal(user, "token")

    def _basic_principal(self, creds: BasicCredentials, peer: str | None) -> Principal:
        cached = self.cache.get(creds)
        if cached is not None:
            user = self.store.user_by_id(cached[0])
            if user is not None and user.credential_version == cached[1] and user.username == creds.username:
                return _principal(user)
            self.cache.forget(creds)
        keys = (f"user:{creds.username}", f"ip:{peer}")
        if self.limiter.blocked(*keys):
            raise RateLimited("Too many failed sign-in attempts; try again later")
        user = self.store.get_user(creds.username)
        if not verify_password(creds.password, user.password_hash if user else None) or user is None:
            self.limiter.fail(*keys)
            logger.info("Failed sign-in for %r from %s", creds.username[:64], peer)
            raise Unauthenticated("Invalid username or password")
        self.cache.put(creds, user.user_id, user.credential_version)
        return _principal(user)

    # -- browser sessions ----------------------------------------------------------------
    def login(self, username: str, password: str, peer: str | None) -> tuple[str, Principal]:
        """Verify a password once and open a session; returns (cookie secret, principal)."""
        keys = (f"user:{username}", f"ip:{peer}")
        if self.limiter.blocked(*keys):
            raise RateLimited("Too many failed sign-in attempts; try again later")
        user = self.store.get_user(username)
        if not verify_password(password, user.password_hash if user else None) or user is None:
            self.limiter.fail(*keys)
            logger.info("Failed sign-in for %r from %s", username[:64], peer)
            raise Unauthenticated("Invalid username or password")
        secret = new_secret()
        expires = int((time.time() + self.config.session_lifetime) * 1000)
        self.store.sessions.create(hash_session(secret), user.user_id, user.credential_version, expires)
        return secret, Principal(user.user_id, user.username, user.is_admin, "session", secret)

    def session_principal(self, secret: str) -> Principal | None:
        """The user of a live session cookie, else None (expired, revoked, credentials changed)."""
        if not secret or len(secret) > 200:
            return None
        user_id = self.store.sessions.user_id_for(hash_session(secret), int(time.time() * 1000))
        user = self.store.user_by_id(user_id) if user_id is not None else None
        if user is None:
            return None
        return Principal(user.user_id, user.username, user.is_admin, "session", secret)

    def logout(self, secret: str) -> None:
        self.store.sessions.revoke(hash_session(secret))

    # -- users -----------------------------------------------------------------------
    def create_user(self, username: str, password: str | None, is_admin: bool = False) -> UserRow:
        hashed = hash_password(_strong(password)) if password is not None else None
        return self.store.create_user(validate_username(username), hashed, is_admin)

    def set_password(self, username: str, password: str) -> None:
        self.store.set_password(username, hash_password(_strong(password)))

    def check_password(self, username: str, password: str) -> bool:
        user = self.store.get_user(username)
        return verify_password(password, user.password_hash if user else None) and user is not None

    def ensure_admin(self, username: str, password: str) -> bool:
        """Create the bootstrap admin if absent; True when it was created."""
        if self.store.get_user(username) is not None:
            return False
        try:
            self.create_user(username, password, is_admin=True)
        except Exception:  # noqa: BLE001 - another worker created it first
            if self.store.get_user(username) is None:
                raise
            return False
        return True

    # -- tokens ------------------------------------------------------------------------
    def create_token(self, user_id: int, name: str, expires_in_days: int | None) -> tuple[str, TokenRow]:
        if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
            raise InvalidArgument("expires_in_days must be between 1 and 3650")
        expiration = None
        if expires_in_days is not None:
            expiration = int((time.time() + expires_in_days * 86400) * 1000)
        token = new_token()
        return token, self.store.create_token(user_id, hash_token(token), name[:256], expiration)

    # -- permissions -------------------------------------------------------------------
    def level(self, principal: Principal, experiment_id: int) -> Level:
        if principal.is_admin:
            return Level.MANAGE
        stored = self.store.experiment_permission(experiment_id, principal.user_id)
        level = Level.parse(stored) if stored is not None else self.config.default_permission
        for _, granted in self.store.groups.user_group_permissions(principal.user_id, experiment_id):
            level = max(level, Level.parse(granted))
        return level

    def readable(self, principal: Principal) -> ReadableSet:
        return self.holding(principal, Level.READ)

    def holding(self, principal: Principal, minimum: Level) -> ReadableSet:
        """The experiments on which ``principal`` holds at least ``minimum`` (own and group grants)."""
        if principal.is_admin:
            return ReadableSet(True, False, frozenset())
        default = self.config.default_permission
        explicit = {eid: Level.parse(p) for eid, p in self.store.user_permissions(principal.user_id).items()}
        effective: dict[int, Level] = dict(explicit)
        for eid, granted in self.store.groups.user_group_permissions(principal.user_id):
            effective[eid] = max(effective.get(eid, default), Level.parse(granted))
        if default >= minimum:
            return ReadableSet(False, True, frozenset(e for e, lv in effective.items() if lv < minimum))
        return ReadableSet(False, False, frozenset(e for e, lv in effective.items() if lv >= minimum))


def make_service(db_uri: str, default_permission: str = "NO_PERMISSIONS", proxy_header: str | None = None,
                 trusted_proxies: Iterable[str] = ()) -> AuthService:
    config = AuthConfig(Level.parse(default_permission), proxy_header or None, tuple(trusted_proxies))
    return AuthService(AuthStore(db_uri), config)
