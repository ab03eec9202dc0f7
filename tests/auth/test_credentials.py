"""Authentication: tokens, cached Basic credentials, brute-force limiting, the trusted proxy header."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from tests.auth.helpers import PASSWORD, AuthWorld, basic, make_world

from tracklog.auth.credentials import BasicCredentials, CredentialCache, parse_authorization
from tracklog.auth.passwords import hash_password, verify_password
from tracklog.auth.ratelimit import FailureLimiter
from tracklog.auth.tokens import hash_token
from tracklog.store.registry import get_store

TOKENS = "/api/2.0/tracklog/tokens"


def test_password_hashing() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("scrypt$16384$8$1$")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)
    assert not verify_password("anything", None)
    assert not verify_password("anything", "garbage")
    assert hash_password("correct horse battery") != stored  # salted


def test_authorization_header_parsing() -> None:
    assert parse_authorization(None) is None
    assert parse_authorization("Bearer tl_abc") == "tl_abc"
    assert parse_authorization(basic("u", "p:q")["Authorization"]) == BasicCredentials("u", "p:q")
    for bad in ("Basic !!!", "Digest x", "Basic " + "dTpw"[:3]):
        with pytest.raises(ValueError):
            parse_authorization(bad)


def test_cache_and_limiter_units() -> None:
    now = [0.0]
    cache = CredentialCache(ttl=10, clock=lambda: now[0])
    creds = BasicCredentials("u", "p")
    cache.put(creds, 1, 0)
    assert cache.get(creds) == (1, 0)
    assert cache.get(BasicCredentials("u", "q")) is None
    now[0] = 11
    assert cache.get(creds) is None
    limiter = FailureLimiter(limit=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert not limiter.blocked("user:u")
        limiter.fail("user:u")
    assert limiter.blocked("user:u")
    now[0] += 61
    assert not limiter.blocked("user:u")


def test_tokens_create_use_expire_revoke(world: AuthWorld) -> None:
    world.user("alice")
    exp = world.experiment("alice", "tok")
    created = world.ok("alice", "POST", f"{TOKENS}/create", {"name": "ci"})
    token = created["token"]
    assert token.startswith("tl_") and created["token_info"]["name"] == "ci"
    bearer = {"Authorization": f"Bearer {token}"}
    assert world.status(None, "GET", "experiments/get", {"experiment_id": exp}, headers=bearer) == 200
    # a token cannot mint tokens; the list never shows values
    assert world.status(None, "POST", f"{TOKENS}/create", {}, headers=bearer) == 403
    listed = world.ok("alice", "GET", f"{TOKENS}/list")["tokens"]
    assert [t["name"] for t in listed] == ["ci"] and token not in str(listed)
    # stored as SHA-256 only
    from sqlalchemy import text

    from tracklog.store.sql.engine import get_engine

    assert world.settings.backend_store_uri
    with get_engine(world.settings.backend_store_uri).connect() as conn:
        hashes = [r[0] for r in conn.execute(text("SELECT token_hash FROM auth_tokens"))]
    assert hashes == [hash_token(token)]
    # revoked -> 401
    world.ok("alice", "POST", f"{TOKENS}/revoke", {"token_id": listed[0]["id"]})
    r = world.call(None, "GET", "experiments/get", {"experiment_id": exp}, headers=bearer)
    assert r.status_code == 401 and r.json()["error_code"] == "UNAUTHENTICATED"
    # another user's token id cannot be revoked
    other = world.ok("admin", "POST", f"{TOKENS}/create", {})
    assert world.status("alice", "POST", f"{TOKENS}/revoke", {"token_id": other["token_info"]["id"]}) == 404


def test_expired_token(world: AuthWorld) -> None:
    world.user("alice")
    created = world.ok("alice", "POST", f"{TOKENS}/create", {"expires_in_days": 1})
    bearer = {"Authorization": f"Bearer {created['token']}"}
    assert world.status(None, "GET", "users/current", headers=bearer) == 200
    from sqlalchemy import text

    from tracklog.store.sql.engine import get_engine

    assert world.settings.backend_store_uri
    with get_engine(world.settings.backend_store_uri).begin() as conn:
        conn.execute(text("UPDATE auth_tokens SET expiration_time = :t"), {"t": int(time.time() * 1000) - 1})
    assert world.status(None, "GET", "users/current", headers=bearer) == 401
    assert world.status("alice", "POST", f"{TOKENS}/create", {"expires_in_days": 0}) == 400


def test_password_change_invalidates_cached_credentials(world: AuthWorld) -> None:
    world.user("alice")
    assert world.status("alice", "GET", "users/current") == 200  # verified and cached
    assert world.status("alice", "GET", "users/current") == 200  # from the cache
    new = "a-brand-new-password"
    r = world.call("alice", "PATCH", "users/update-password", {"username": "alice", "password": new})
    assert r.status_code == 403  # self-service needs current_password
    world.ok("alice", "PATCH", "users/update-password",
             {"username": "alice", "password": new, "current_password": PASSWORD})
    assert world.status(None, "GET", "users/current", headers=basic("alice", PASSWORD)) == 401
    assert world.status(None, "GET", "users/current", headers=basic("alice", new)) == 200
    # an admin reset and a deletion take effect at once too
    world.ok("admin", "PATCH", "users/update-password", {"username": "alice", "password": "reset-by-admin-1"})
    assert world.status(None, "GET", "users/current", headers=basic("alice", new)) == 401
    world.ok("admin", "DELETE", "users/delete", {"username": "alice"})
    assert world.status(None, "GET", "users/current", headers=basic("alice", "reset-by-admin-1")) == 401


def test_demoted_admin_loses_rights_at_once(world: AuthWorld) -> None:
    world.user("root2", admin=True)
    assert world.status("root2", "GET", "users/list") == 200
    world.ok("admin", "PATCH", "users/update-admin", {"username": "root2", "is_admin": False})
    assert world.status("root2", "GET", "users/list") == 403
    assert world.status("admin", "DELETE", "users/delete", {"username": "admin"}) == 400  # the last admin


def test_brute_force_is_limited(world: AuthWorld) -> None:
    world.user("alice")
    for _ in range(10):
        assert world.status(None, "GET", "users/current", headers=basic("alice", "wrong-password")) == 401
    r = world.call(None, "GET", "users/current", headers=basic("alice", PASSWORD))
    assert r.status_code == 429 and r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    # the same client address is limited for other usernames too
    assert world.status(None, "GET", "users/current", headers=basic("admin", "wrong")) == 429
    other = TestClient(world.client.app, base_url=world.client.base_url, client=("10.1.2.3", 4000))
    assert other.get("/api/2.0/mlflow/users/current", headers=basic("alice", PASSWORD)).status_code == 429
    assert other.get("/api/2.0/mlflow/users/current", headers=basic("admin", "admin-password-0")).status_code \
        == 200


@pytest.fixture
def proxy_world(tmp_path: Path, auth_template_db: Path) -> Iterator[AuthWorld]:
    yield from make_world(tmp_path, auth_template_db, get_store, auth=True,
                          auth_proxy_header="X-Forwarded-User", auth_trusted_proxies=("10.0.0.0/8",))


def test_proxy_header_from_trusted_peer_only(proxy_world: AuthWorld) -> None:
    app, base = proxy_world.client.app, proxy_world.client.base_url
    trusted = TestClient(app, base_url=base, client=("10.0.0.7", 5555))
    stranger = TestClient(app, base_url=base, client=("192.0.2.9", 5555))
    r = trusted.get("/api/2.0/mlflow/users/current", headers={"X-Forwarded-User": "carol"})
    assert r.status_code == 200 and r.json()["user"] == {"id": r.json()["user"]["id"], "username": "carol",
                                                         "is_admin": False}
    # spoofing from an untrusted peer: the header is ignored
    assert stranger.get("/api/2.0/mlflow/users/list", headers={"X-Forwarded-User": "admin"}).status_code == 401
    assert stranger.get("/api/2.0/mlflow/users/list", headers={
        "X-Forwarded-User": "admin", **basic("carol", "whatever-password")}).status_code == 401
    assert trusted.get("/api/2.0/mlflow/users/list", headers={"X-Forwarded-User": "admin"}).status_code == 200
    # proxy-created users have no password
    assert stranger.get("/api/2.0/mlflow/users/current", headers=basic("carol", "")).status_code == 401


def test_auth_off_changes_nothing(tmp_path: Path, auth_template_db: Path) -> None:
    gen = make_world(tmp_path, auth_template_db, get_store)
    world = next(gen)
    try:
        assert world.status(None, "POST", "experiments/create", {"name": "open"}) == 200
        assert world.status(None, "GET", "experiments/search", {}) == 200
        r = world.call(None, "POST", "users/create", {"username": "x", "password": "x" * 12})
        assert r.status_code == 404 and r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
        assert world.status(None, "GET", "/", headers={"accept": "text/html"}) in (200, 404)
    finally:
        gen.close()


def test_static_prefix(tmp_path: Path, auth_template_db: Path) -> None:
    gen = make_world(tmp_path, auth_template_db, get_store, auth=True, static_prefix="/ml")
    world = next(gen)
    try:
        assert world.status(None, "GET", "/ml/health") == 200
        assert world.status(None, "HEAD", "/ml/health") == 200
        assert world.status(None, "GET", "/ml/api/2.0/mlflow/experiments/get", {"experiment_id": "0"}) == 401
        assert world.status("admin", "GET", "/ml/api/2.0/mlflow/experiments/get", {"experiment_id": "0"}) == 200
        assert world.status(None, "GET", "/health") == 401  # outside the prefix: no rule
    finally:
        gen.close()
