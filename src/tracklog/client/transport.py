"""HTTP transport to a tracking server (tracklog's or MLflow's): pooling, retries, auth, errors.

One ``httpx.Client`` is shared per (process, server, settings): keep-alive HTTP/1.1
connections are reused by every store and artifact repository talking to that server.

Retry policy (the same classes as MLflow's client, so a server sees the same traffic):

* ``retry_safe=True`` (GETs, searches, log-batch/metric/param, set-tag, updates, deletes,
  restores, PUT/PATCH/DELETE): retried on 408, 429, 500, 502, 503, 504 and on any
  connection error;
* ``retry_safe=False`` (creates): retried only on 408 and 429, and on errors raised before
  the request could reach the server (connect errors and timeouts, pool timeouts).

Backoff is exponential with jitter, ``Retry-After`` is honoured, and the total time spent
waiting is bounded (``retry_budget``). A response that is still an error after the last
attempt is raised as the ``TrackingError`` its body (or status) names.
"""

from __future__ import annotations

import base64
import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import IO, Any

import httpx
import orjson

from tracklog import __version__
from tracklog.exceptions import InvalidArgument, TemporarilyUnavailable, TrackingError, error_from_code

__all__ = [
    "RETRY_ALWAYS",
    "RETRY_SAFE",
    "HttpSettings",
    "HttpTransport",
    "close_all",
    "error_from_response",
    "get_transport",
]

_log = logging.getLogger(__name__)

RETRY_SAFE = frozenset({408, 429, 500, 502, 503, 504})
RETRY_ALWAYS = frozenset({408, 429})

# Errors raised before the request reached the server: safe to retry for any method.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# The request may have been (partly) processed: retried only for retry-safe calls.
_MAYBE_SENT = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)

Params = Mapping[str, str | int | float | bool | list[str] | None]
BodyFactory = Callable[[], IO[bytes]]


def _env(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def _env_number(cast: Callable[[str], float], default: float, *names: str) -> float:
    raw = _env(*names)
    if raw is None:
        return default
    try:
        value = cast(raw)
    except ValueError:
        raise InvalidArgument(f"{names[0]} must be a number, got {raw!r}") from None
    if value < 0 or math.isnan(value):
        raise InvalidArgument(f"{names[0]} must not be negative, got {raw!r}")
    return value


def _env_flag(*names: str) -> bool:
    return (_env(*names) or "").lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Everything that shapes a connection; build from the environment with ``from_env``."""

    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    max_retries: int = 5
    backoff_factor: float = 1.0
    backoff_jitter: float = 1.0
    backoff_max: float = 30.0
    retry_budget: float = 120.0  # seconds of waiting between attempts, all retries together
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    verify: bool | str = True
    user_agent: str = f"tracklog/{__version__}"

    @classmethod
    def from_env(cls) -> HttpSettings:
        """Read TRACKLOG_* variables, falling back to their MLFLOW_* twins."""
        verify: bool | str = True
        if _env_flag("TRACKLOG_TRACKING_INSECURE_TLS", "MLFLOW_TRACKING_INSECURE_TLS"):
            verify = False
        else:
            verify = _env("TRACKLOG_TRACKING_SERVER_CERT_PATH", "MLFLOW_TRACKING_SERVER_CERT_PATH") or True
        return cls(
            read_timeout=_env_number(float, 120.0, "TRACKLOG_HTTP_TIMEOUT", "MLFLOW_HTTP_REQUEST_TIMEOUT"),
            max_retries=int(_env_number(int, 5, "TRACKLOG_HTTP_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_MAX_RETRIES")),
            backoff_factor=_env_number(
                float, 1.0, "TRACKLOG_HTTP_BACKOFF_FACTOR", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"
            ),
            retry_budget=_env_number(float, 120.0, "TRACKLOG_HTTP_RETRY_BUDGET"),
            username=_env("TRACKLOG_TRACKING_USERNAME", "MLFLOW_TRACKING_USERNAME"),
            password=_env("TRACKLOG_TRACKING_PASSWORD", "MLFLOW_TRACKING_PASSWORD"),
            token=_env("TRACKLOG_TRACKING_TOKEN", "MLFLOW_TRACKING_TOKEN"),
            verify=verify,
        )

    def auth_headers(self) -> dict[str, str]:
        """Basic auth when a username and password are set, else a Bearer token if any."""
        if self.username and self.password is not None:
            raw = f"{self.username}:{self.password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        return {}

    def backoff(self, attempt: int) -> float:
        """Wait before retry number ``attempt`` (0-based), without Retry-After."""
        base = min(self.backoff_max, self.backoff_factor * float(2**attempt))
        return base + random.uniform(0, self.backoff_jitter)


def _build_client(settings: HttpSettings, transport: httpx.BaseTransport | None) -> httpx.Client:
    headers = {"User-Agent": settings.user_agent, "Accept": "application/json"}
    headers.update(settings.auth_headers())
    return httpx.Client(
        headers=headers,
        timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=16, keepalive_expiry=30.0),
        verify=settings.verify,
        http1=True,
        http2=False,
        follow_redirects=True,
        transport=transport,
    )


def error_from_response(response: httpx.Response) -> TrackingError:
    """The ``TrackingError`` for an error response (its body must have been read)."""
    status = response.status_code
    text = response.text if response.content else ""
    try:
        body = orjson.loads(response.content) if response.content else None
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict):
        code = body.get("error_code")
        message = body.get("message") or body.get("detail")
        if isinstance(code, str) and code:
            return error_from_code(code, str(message or text), status)
        if message:
            return error_from_code(None, str(message), status)
    reason = response.reason_phrase or "error"
    snippet = " ".join(text.split())[:300]
    detail = f": {snippet}" if snippet else ""
    message = f"{response.request.method} {response.request.url.path} failed with {status} {reason}{detail}"
    return error_from_code(None, message, status)


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    if not raw:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpTransport:
    """Requests to one server (``base_url`` may carry a path prefix), with the retry policy."""

    def __init__(
        self,
        base_url: str,
        settings: HttpSettings | None = None,
        *,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.settings = settings or HttpSettings.from_env()
        self.client = client or _build_client(self.settings, transport)
        self._sleep = sleep

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    # -- JSON calls ----------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        retry_safe: bool | None = None,
    ) -> dict[str, Any]:
        """One JSON endpoint; returns the decoded body (``{}`` for an empty one)."""
        content = orjson.dumps(json) if json is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else None
        response = self.request(method, path, params=params, content=content, headers=headers, retry_safe=retry_safe)
        if not response.content:
            return {}
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise TrackingError(
                f"{method} {path} answered {response.status_code} with a body that is not JSON"
            ) from exc
        return body if isinstance(body, dict) else {}

    # -- raw requests --------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        content: bytes | BodyFactory | Iterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        retry_safe: bool | None = None,
    ) -> httpx.Response:
        """Send with retries and return the (fully read) successful response."""
        with self.stream(
            method, path, params=params, content=content, headers=headers, retry_safe=retry_safe
        ) as response:
            response.read()
            return response

    @contextmanager
    def stream(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        content: bytes | BodyFactory | Iterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        retry_safe: bool | None = None,
    ) -> Iterator[httpx.Response]:
        """Send with retries; yield the successful response with its body still unread.

        ``content`` is bytes, a factory opening a fresh file object per attempt (replayable),
        or a one-shot iterable of chunks (never retried once it may have been consumed).
        """
        safe = method.upper() != "POST" if retry_safe is None else retry_safe
        replayable = content is None or isinstance(content, bytes) or callable(content)
        url = self.url(path)
        query = _query(params)
        started = time.monotonic()
        waited = 0.0
        attempt = 0
        while True:
            try:
                response = self._send_once(method, url, query, content, headers)
            except httpx.TransportError as exc:
                retryable = isinstance(exc, _NOT_SENT) or (safe and isinstance(exc, _MAYBE_SENT))
                delay = self._next_delay(attempt, waited, None) if retryable and replayable else None
                if delay is None:
                    raise TemporarilyUnavailable(
                        f"{method} {url} failed after {attempt + 1} attempt(s) in "
                        f"{time.monotonic() - started:.1f}s: {type(exc).__name__}: {exc}"
                    ) from exc
                _log.info("retrying %s %s in %.1fs after %s", method, url, delay, type(exc).__name__)
            else:
                if response.is_success:
                    try:
                        yield response
                    finally:
                        response.close()
                    return
                delay = self._delay_or_raise(response, attempt, waited, safe, replayable)
                _log.info("retrying %s %s in %.1fs after HTTP %d", method, url, delay, response.status_code)
            self._sleep(delay)
            waited += delay
            attempt += 1

    def _send_once(
        self,
        method: str,
        url: str,
        query: list[tuple[str, str | int | float | bool | None]] | None,
        content: bytes | BodyFactory | Iterable[bytes] | None,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        """One attempt; a body factory's file is opened for it and closed after sending."""
        body_file: IO[bytes] | None = None
        body: bytes | Iterable[bytes] | None
        if callable(content):
            body = body_file = content()
        else:
            body = content
        try:
            request = self.client.build_request(method, url, params=query, content=body,
                                                headers=dict(headers or {}))
            return self.client.send(request, stream=True)
        finally:
            if body_file is not None:
                body_file.close()

    def _delay_or_raise(
        self, response: httpx.Response, attempt: int, waited: float, safe: bool, replayable: bool
    ) -> float:
        """The wait before retrying an error response, or raise its ``TrackingError``."""
        statuses = RETRY_SAFE if safe else RETRY_ALWAYS
        delay = None
        if response.status_code in statuses and replayable:
            delay = self._next_delay(attempt, waited, _retry_after(response))
        if delay is None:
            try:
                response.read()
            finally:
                response.close()
            raise error_from_response(response)
        response.close()
        return delay

    def _next_delay(self, attempt: int, waited: float, retry_after: float | None) -> float | None:
        """Seconds to wait before the next attempt, or None when retries are exhausted."""
        if attempt >= self.settings.max_retries:
            return None
        delay = retry_after if retry_after is not None else self.settings.backoff(attempt)
        if waited + delay > self.settings.retry_budget:
            return None
        return delay

    def close(self) -> None:
        self.client.close()


def _query(params: Params | None) -> list[tuple[str, str | int | float | bool | None]] | None:
    """Query string pairs: lists become repeated keys, booleans true/false, None is dropped."""
    if params is None:
        return None
    pairs: list[tuple[str, str | int | float | bool | None]] = []
    for key, value in params.items():
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, bool):
                pairs.append((key, "true" if item else "false"))
            else:
                pairs.append((key, str(item)))
    return pairs


_lock = threading.Lock()
_shared: dict[tuple[int, str, HttpSettings], HttpTransport] = {}


def get_transport(base_url: str, settings: HttpSettings | None = None) -> HttpTransport:
    """The process-wide transport for ``base_url`` (a fresh one after ``fork``)."""
    settings = settings or HttpSettings.from_env()
    key = (os.getpid(), base_url.rstrip("/"), settings)
    with _lock:
        transport = _shared.get(key)
        if transport is None:
            transport = _shared[key] = HttpTransport(base_url, settings)
        return transport


def close_all() -> None:
    """Close every shared connection pool (tests, or before exiting)."""
    with _lock:
        transports = list(_shared.values())
        _shared.clear()
    for transport in transports:
        transport.close()
