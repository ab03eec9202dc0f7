"""The HTTP transport against ``httpx.MockTransport``: retries, backoff, auth, error mapping."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import orjson
import pytest

from tracklog import __version__
from tracklog.client.transport import HttpSettings, HttpTransport
from tracklog.exceptions import (
    AlreadyExists,
    BadRequest,
    EndpointNotFound,
    InvalidArgument,
    NotFound,
    RateLimited,
    TemporarilyUnavailable,
    TrackingError,
)

Handler = Callable[[httpx.Request], httpx.Response]
FAST = HttpSettings(max_retries=5, backoff_factor=0.5, backoff_jitter=0.0, backoff_max=4.0, retry_budget=60.0)


class Recorder:
    """A transport whose answers come from a list; it records requests and sleeps."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def transport(self, settings: HttpSettings = FAST) -> HttpTransport:
        return HttpTransport("http://server/prefix", settings, transport=httpx.MockTransport(self.handler),
                             sleep=self.sleeps.append)


def ok(body: object = None) -> httpx.Response:
    return httpx.Response(200, content=orjson.dumps(body) if body is not None else b"")


def err(status: int, code: str | None = None, message: str = "boom", **headers: str) -> httpx.Response:
    if code is None:
        return httpx.Response(status, text="<html>nope</html>", headers=headers)
    return httpx.Response(status, json={"error_code": code, "message": message}, headers=headers)


# -- retry policy per method class --------------------------------------------------
@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_get_retries_transient_statuses(status: int) -> None:
    rec = Recorder(err(status), ok({"a": 1}))
    assert rec.transport().call("GET", "/x") == {"a": 1}
    assert len(rec.requests) == 2 and len(rec.sleeps) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_create_is_not_retried_on_server_errors(status: int) -> None:
    rec = Recorder(err(status, "INTERNAL_ERROR"), ok())
    with pytest.raises(TrackingError):
        rec.transport().call("POST", "/experiments/create", json={"name": "x"}, retry_safe=False)
    assert len(rec.requests) == 1 and rec.sleeps == []


@pytest.mark.parametrize("status", [408, 429])
def test_create_is_retried_on_408_and_429(status: int) -> None:
    rec = Recorder(err(status), ok({"experiment_id": "1"}))
    body = rec.transport().call("POST", "/experiments/create", json={"name": "x"}, retry_safe=False)
    assert body == {"experiment_id": "1"} and len(rec.requests) == 2


def test_retry_safe_post_is_retried_on_5xx() -> None:
    rec = Recorder(err(503), err(500), ok())
    assert rec.transport().call("POST", "/runs/log-batch", json={}, retry_safe=True) == {}
    assert len(rec.requests) == 3
    # The body is sent again, identical, on each attempt.
    assert {r.content for r in rec.requests} == {b"{}"}


def test_post_defaults_to_the_create_policy_and_other_methods_to_safe() -> None:
    rec = Recorder(err(503), ok())
    with pytest.raises(TemporarilyUnavailable):
        rec.transport().call("POST", "/x", json={})
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        rec = Recorder(err(503), ok())
        rec.transport().call(method, "/x")
        assert len(rec.requests) == 2, method


def test_client_errors_are_never_retried() -> None:
    rec = Recorder(err(400, "INVALID_PARAMETER_VALUE"), ok())
    with pytest.raises(InvalidArgument):
        rec.transport().call("GET", "/x")
    assert len(rec.requests) == 1


def test_connection_errors() -> None:
    # Not sent at all: retried even for creates.
    rec = Recorder(httpx.ConnectError("refused"), ok({"ok": True}))
    assert rec.transport().call("POST", "/create", json={}, retry_safe=False) == {"ok": True}
    # Maybe processed: retried only when retry-safe.
    rec = Recorder(httpx.ReadTimeout("slow"), ok({"ok": True}))
    with pytest.raises(TemporarilyUnavailable):
        rec.transport().call("POST", "/create", json={}, retry_safe=False)
    assert len(rec.requests) == 1
    rec = Recorder(httpx.RemoteProtocolError("gone"), ok({"ok": True}))
    assert rec.transport().call("GET", "/get") == {"ok": True}


def test_backoff_is_exponential_and_bounded() -> None:
    rec = Recorder(err(503))
    with pytest.raises(TemporarilyUnavailable):
        rec.transport().call("GET", "/x")
    assert len(rec.requests) == FAST.max_retries + 1
    assert rec.sleeps == [0.5, 1.0, 2.0, 4.0, 4.0]  # factor 0.5, doubling, capped at backoff_max


def test_jitter_stays_within_bounds() -> None:
    settings = HttpSettings(backoff_factor=1.0, backoff_jitter=1.0, backoff_max=30.0)
    for attempt in range(8):
        base = min(30.0, 2.0**attempt)
        assert all(base <= settings.backoff(attempt) <= base + 1.0 for _ in range(50))


def test_total_retry_time_is_bounded() -> None:
    settings = HttpSettings(max_retries=50, backoff_factor=1.0, backoff_jitter=0.0, backoff_max=10.0,
                            retry_budget=25.0)
    rec = Recorder(err(502))
    with pytest.raises(TrackingError):
        rec.transport(settings).call("GET", "/x")
    assert sum(rec.sleeps) <= 25.0
    assert rec.sleeps == [1.0, 2.0, 4.0, 8.0, 10.0]


def test_retry_after_seconds_and_date() -> None:
    rec = Recorder(err(429, "REQUEST_LIMIT_EXCEEDED", **{"Retry-After": "7"}), ok())
    rec.transport().call("POST", "/create", json={}, retry_safe=False)
    assert rec.sleeps == [7.0]
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    rec = Recorder(err(503, None, **{"Retry-After": when}), ok())
    rec.transport().call("GET", "/x")
    assert 15.0 <= rec.sleeps[0] <= 20.5


def test_retry_after_beyond_the_budget_gives_up() -> None:
    rec = Recorder(err(429, "REQUEST_LIMIT_EXCEEDED", **{"Retry-After": "3600"}), ok())
    with pytest.raises(RateLimited):
        rec.transport().call("GET", "/x")
    assert rec.sleeps == []


def test_one_shot_bodies_are_not_replayed() -> None:
    rec = Recorder(err(503), ok())
    with pytest.raises(TemporarilyUnavailable):
        rec.transport().request("PUT", "/a", content=iter([b"chunk"]))
    assert len(rec.requests) == 1


# -- errors --------------------------------------------------------------------------
def test_json_error_bodies_map_to_their_class() -> None:
    cases = [
        (err(404, "RESOURCE_DOES_NOT_EXIST", "no run"), NotFound, "RESOURCE_DOES_NOT_EXIST"),
        (err(400, "RESOURCE_ALREADY_EXISTS"), AlreadyExists, "RESOURCE_ALREADY_EXISTS"),
        (err(400, "BAD_REQUEST"), BadRequest, "BAD_REQUEST"),
    ]
    for response, cls, code in cases:
        with pytest.raises(cls) as info:
            Recorder(response).transport().call("GET", "/x")
        assert info.value.error_code == code
    with pytest.raises(NotFound) as info:
        Recorder(err(404, "RESOURCE_DOES_NOT_EXIST", "no run")).transport().call("GET", "/x")
    assert info.value.message == "no run"


def test_non_json_error_bodies_map_from_the_status() -> None:
    with pytest.raises(EndpointNotFound):
        Recorder(err(404)).transport().call("GET", "/nope")
    with pytest.raises(BadRequest) as info:
        Recorder(httpx.Response(400, json={"detail": "is a directory"})).transport().call("GET", "/x")
    assert info.value.message == "is a directory"
    settings = HttpSettings(max_retries=0)
    with pytest.raises(TrackingError) as err_info:
        Recorder(err(500)).transport(settings).call("GET", "/x")
    assert err_info.value.error_code == "INTERNAL_ERROR" and "500" in err_info.value.message


def test_empty_success_body_is_an_empty_object() -> None:
    assert Recorder(ok()).transport().call("POST", "/runs/delete", json={}) == {}


# -- request shape, auth and settings ------------------------------------------------
def test_request_shape() -> None:
    rec = Recorder(ok())
    transport = rec.transport()
    transport.call("GET", "/api/2.0/mlflow/x", params={"run_ids": ["a", "b"], "flag": True, "skip": None})
    transport.call("POST", "/api/2.0/mlflow/y", json={"value": "NaN"})
    get, post = rec.requests
    assert str(get.url) == "http://server/prefix/api/2.0/mlflow/x?run_ids=a&run_ids=b&flag=true"
    assert get.headers["User-Agent"] == f"tracklog/{__version__}"
    assert post.headers["Content-Type"] == "application/json"
    assert orjson.loads(post.content) == {"value": "NaN"}


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TRACKLOG_TRACKING_USERNAME": "u", "TRACKLOG_TRACKING_PASSWORD": "p"}, _basic("u", "p")),
        ({"MLFLOW_TRACKING_USERNAME": "mu", "MLFLOW_TRACKING_PASSWORD": "mp"}, _basic("mu", "mp")),
        ({"TRACKLOG_TRACKING_TOKEN": "tok"}, "Bearer tok"),
        ({"MLFLOW_TRACKING_TOKEN": "mtok"}, "Bearer mtok"),
        ({"TRACKLOG_TRACKING_TOKEN": "t1", "MLFLOW_TRACKING_TOKEN": "t2"}, "Bearer t1"),
        ({"TRACKLOG_TRACKING_USERNAME": "u", "TRACKLOG_TRACKING_PASSWORD": "p",
          "TRACKLOG_TRACKING_TOKEN": "t"}, _basic("u", "p")),
        ({}, None),
    ],
)
def test_auth_from_environment(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str | None) -> None:
    for name in ("USERNAME", "PASSWORD", "TOKEN"):
        monkeypatch.delenv(f"TRACKLOG_TRACKING_{name}", raising=False)
        monkeypatch.delenv(f"MLFLOW_TRACKING_{name}", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    rec = Recorder(ok())
    rec.transport(HttpSettings.from_env()).call("GET", "/x")
    assert rec.requests[0].headers.get("Authorization") == expected


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKLOG_HTTP_TIMEOUT", "33")
    monkeypatch.setenv("TRACKLOG_HTTP_MAX_RETRIES", "2")
    monkeypatch.setenv("MLFLOW_TRACKING_INSECURE_TLS", "true")
    settings = HttpSettings.from_env()
    assert settings.read_timeout == 33.0 and settings.max_retries == 2 and settings.verify is False
    assert settings.connect_timeout == 10.0
    monkeypatch.delenv("MLFLOW_TRACKING_INSECURE_TLS")
    monkeypatch.setenv("TRACKLOG_TRACKING_INSECURE_TLS", "1")
    assert HttpSettings.from_env().verify is False
    monkeypatch.setenv("TRACKLOG_HTTP_MAX_RETRIES", "many")
    with pytest.raises(TrackingError, match="TRACKLOG_HTTP_MAX_RETRIES"):
        HttpSettings.from_env()


def test_credentials_do_not_show_in_repr() -> None:
    assert "secret" not in repr(HttpSettings(username="u", password="secret", token="secret"))


def test_shared_transport_per_server(monkeypatch: pytest.MonkeyPatch) -> None:
    from tracklog.client.transport import close_all, get_transport

    a = get_transport("http://one:1/")
    assert get_transport("http://one:1") is a
    assert get_transport("http://two:2") is not a
    close_all()
    assert get_transport("http://one:1") is not a
    close_all()
