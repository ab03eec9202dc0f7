"""Web UI sign-in: the sign-in page, session cookies and their flags, CSRF, sign-out, rate limiting."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from tests.auth.helpers import ADMIN, PASSWORD, AuthWorld, basic, make_world

from tracklog.auth.sessions import CSRF_COOKIE, SESSION_COOKIE, SIGNIN_COOKIE

SESSION_API = "/api/2.0/tracklog/session"


def _set_cookies(response: Any) -> dict[str, Any]:
    jar: dict[str, Any] = {}
    for header in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            jar[name] = morsel
    return jar


def _form_token(world: AuthWorld, next_path: str = "/") -> str:
    page = world.client.get("/signin", params={"next": next_path})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    assert world.client.cookies.get(SIGNIN_COOKIE) == found.group(1)
    return found.group(1)


def sign_in(world: AuthWorld, username: str = ADMIN[0], password: str = ADMIN[1], next_path: str = "/") -> Any:
    token = _form_token(world, next_path)
    return world.client.post("/signin", data={"username": username, "password": password, "csrf": token,
                                               "next": next_path}, follow_redirects=False)


def test_sign_in_sets_hardened_cookies_and_opens_the_ui(world: AuthWorld) -> None:
    r = sign_in(world, next_path="/#/runs")
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/#/runs"
    cookies = _set_cookies(r)
    session = cookies[SESSION_COOKIE]
    assert session["httponly"] and session["samesite"] == "lax" and session["path"] == "/"
    assert int(session["max-age"]) == 12 * 3600
    assert not session["secure"]  # plain http in this test; https or --auth-secure-cookies sets it
    csrf = cookies[CSRF_COOKIE]
    assert not csrf["httponly"] and csrf["samesite"] == "strict"
    # only a hash of the secret is stored
    secret = session.value
    assert world.client.get(SESSION_API).json()["via"] == "session"
    assert world.client.get("/", headers={"Accept": "text/html"}).status_code in (200, 404)
    from tracklog.auth.sessions import hash_session

    store = world.client.app.state.context.auth.store  # type: ignore[attr-defined]
    assert store.sessions.user_id_for(hash_session(secret), 0) is not None
    assert store.sessions.user_id_for(secret, 0) is None


def test_secure_flag_over_https_and_by_setting(world: AuthWorld, tmp_path: Path, auth_template_db: Path) -> None:
    world.client.base_url = "https://localhost:5000"
    r = sign_in(world)
    assert r.status_code == 303
    assert all(c["secure"] for c in _set_cookies(r).values())
    # behind a TLS-terminating proxy tracklog sees http: --auth-secure-cookies marks them anyway
    from tracklog.store.registry import get_store

    (tmp_path / "secure").mkdir()
    for secure_world in make_world(tmp_path / "secure", auth_template_db, get_store, auth=True,
                                   auth_secure_cookies=True):
        page = secure_world.client.get("/signin")
        assert _set_cookies(page)[SIGNIN_COOKIE]["secure"]
        token = _set_cookies(page)[SIGNIN_COOKIE].value
        # the browser speaks https to the proxy (so it sends Secure cookies); tracklog sees http
        secure_world.client.cookies.clear()
        r = secure_world.client.post("/signin", data={"username": ADMIN[0], "password": ADMIN[1], "csrf": token},
                                     headers={"Cookie": f"{SIGNIN_COOKIE}={token}"}, follow_redirects=False)
        assert r.status_code == 303 and str(secure_world.client.base_url).startswith("http://")
        assert all(c["secure"] for c in _set_cookies(r).values())


def test_wrong_password_and_missing_form_token_are_refused(world: AuthWorld) -> None:
    r = sign_in(world, password="wrong-password-0")
    assert r.status_code == 401 and "Invalid username or password" in r.text
    assert SESSION_COOKIE not in _set_cookies(r)
    # a forged form (no tracklog_signin cookie, e.g. posted from another site) is refused
    world.client.cookies.clear()
    r = world.client.post("/signin", data={"username": ADMIN[0], "password": ADMIN[1], "csrf": "x"},
                          follow_redirects=False)
    assert r.status_code == 403 and SESSION_COOKIE not in _set_cookies(r)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x",
                                    "https://evil.example/#/runs", "#/runs", "//evil.example#/", "/\n#/runs"])
def test_next_never_leaves_the_server(world: AuthWorld, target: str) -> None:
    r = sign_in(world, next_path=target)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_sign_in_is_rate_limited(world: AuthWorld) -> None:
    world.user("victim")
    for _ in range(10):
        assert sign_in(world, "victim", "not-the-password").status_code == 401
    r = sign_in(world, "victim", PASSWORD)  # even the right password waits out the window
    assert r.status_code == 429 and SESSION_COOKIE not in _set_cookies(r)


def test_anonymous_browser_is_sent_to_sign_in_and_api_gets_mlflow_401(world: AuthWorld) -> None:
    r = world.client.get("/", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin?next=%2F"
    api = world.client.get("/api/2.0/mlflow/experiments/search", params={"max_results": 1})
    assert api.status_code == 401 and api.json()["error_code"] == "UNAUTHENTICATED"
    assert api.headers["www-authenticate"].startswith("Basic")
    # the web UI's own fetches get no challenge (no browser password dialog)
    ui = world.client.get("/ajax-api/2.0/mlflow/experiments/search", headers={"Sec-Fetch-Mode": "cors"})
    assert ui.status_code == 401 and "www-authenticate" not in ui.headers


def test_csrf_token_required_for_cookie_writes_only(world: AuthWorld) -> None:
    assert sign_in(world).status_code == 303
    body = {"name": "via-cookie"}
    no_token = world.client.post("/ajax-api/2.0/mlflow/experiments/create", json=body)
    assert no_token.status_code == 403 and no_token.json()["error_code"] == "PERMISSION_DENIED"
    wrong = world.client.post("/ajax-api/2.0/mlflow/experiments/create", json=body,
                              headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    token = world.client.cookies[CSRF_COOKIE]
    ok = world.client.post("/ajax-api/2.0/mlflow/experiments/create", json=body, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200, ok.text
    assert world.client.get("/ajax-api/2.0/mlflow/experiments/get-by-name",
                            params={"experiment_name": "via-cookie"}).status_code == 200  # GETs need no token
    # Basic and Bearer callers are not affected (cookies or not)
    world.client.cookies.clear()
    assert world.status("admin", "POST", "experiments/create", {"name": "via-basic"}) == 200
    token_value = world.ok("admin", "POST", "/api/2.0/tracklog/tokens/create", {"name": "t"})["token"]
    r = world.client.post("/api/2.0/mlflow/experiments/create", json={"name": "via-bearer"},
                          headers={"Authorization": f"Bearer {token_value}"})
    assert r.status_code == 200, r.text


def test_sign_out_revokes_the_session(world: AuthWorld) -> None:
    assert sign_in(world).status_code == 303
    secret = world.client.cookies[SESSION_COOKIE]
    csrf = world.client.cookies[CSRF_COOKIE]
    assert world.client.post(f"{SESSION_API}/logout", json={}).status_code == 403  # CSRF applies here too
    r = world.client.post(f"{SESSION_API}/logout", json={}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    assert _set_cookies(r)[SESSION_COOKIE]["max-age"] == "0"
    # the old cookie, replayed, is dead on the server
    world.client.cookies.clear()
    world.client.cookies.set(SESSION_COOKIE, secret)
    assert world.client.get(SESSION_API).status_code == 401


def test_password_change_and_deletion_end_sessions(world: AuthWorld) -> None:
    world.user("alice")
    assert sign_in(world, "alice", PASSWORD).status_code == 303
    assert world.client.get(SESSION_API).json()["user"]["username"] == "alice"
    cookies = dict(world.client.cookies)
    world.client.cookies.clear()
    world.ok("admin", "PATCH", "users/update-password", {"username": "alice", "password": "new-password-12"})
    for name, value in cookies.items():
        world.client.cookies.set(name, value)
    assert world.client.get(SESSION_API).status_code == 401


def test_expired_session_is_refused(world: AuthWorld) -> None:
    import time

    assert sign_in(world).status_code == 303
    auth = world.client.app.state.context.auth  # type: ignore[attr-defined]
    from tracklog.auth.sessions import hash_session
    from tracklog.store.sql import schema as s

    secret = world.client.cookies[SESSION_COOKIE]
    with auth.store._db.engine.begin() as conn:
        conn.execute(s.auth_sessions.update().where(s.auth_sessions.c.session_hash == hash_session(secret))
                     .values(expiration_time=int(time.time() * 1000) - 1))
    assert world.client.get(SESSION_API).status_code == 401


def test_signed_in_user_can_sign_in_as_someone_else(world: AuthWorld) -> None:
    """The sign-in form is public and has its own CSRF token: no session CSRF header is asked for."""
    world.user("erin")
    assert sign_in(world).status_code == 303
    assert world.client.get(SESSION_API).json()["user"]["username"] == "admin"
    r = sign_in(world, "erin", PASSWORD)
    assert r.status_code == 303, r.text
    assert world.client.get(SESSION_API).json()["user"]["username"] == "erin"
    forged = world.client.post("/signin", data={"username": "erin", "password": PASSWORD, "csrf": "x", "next": "/"},
                               follow_redirects=False)
    assert forged.status_code == 403  # the form's own token is still checked


def test_session_endpoint_reports_how_and_groups(world: AuthWorld) -> None:
    r = world.client.get(SESSION_API, headers=basic(*ADMIN))
    assert r.json() == {"auth": True, "user": {"id": 1, "username": "admin", "is_admin": True}, "via": "password",
                        "groups": [], "manages": {"all": True}}


def test_session_endpoint_reports_the_experiments_the_user_manages(world: AuthWorld) -> None:
    """The UI shows its Permissions page only to users who manage an experiment."""
    world.user("carol")
    exp = world.experiment("admin", "shared")

    def manages() -> Any:
        return world.client.get(SESSION_API, headers=basic("carol")).json()["manages"]

    assert manages() == {"only": []}
    world.grant("carol", exp, "EDIT")
    assert manages() == {"only": []}
    world.ok("admin", "POST", "/api/2.0/tracklog/groups/create", {"name": "leads"})
    world.ok("admin", "POST", "/api/2.0/tracklog/groups/members/add", {"group": "leads", "username": "carol"})
    world.ok("admin", "POST", "/api/2.0/tracklog/experiments/permissions/groups/grant",
             {"experiment_id": exp, "group": "leads", "permission": "MANAGE"})
    assert manages() == {"only": [exp]}
    own = world.experiment("carol", "carol's own")  # the creator manages it
    assert manages() == {"only": sorted([exp, own], key=int)}


def test_session_manages_everything_but_with_a_manage_default(tmp_path: Path, auth_template_db: Path) -> None:
    from tracklog.store.registry import get_store

    for w in make_world(tmp_path, auth_template_db, get_store, auth=True, auth_default_permission="MANAGE"):
        w.user("dave")
        exp = w.experiment("admin", "locked")
        assert w.client.get(SESSION_API, headers=basic("dave")).json()["manages"] == {"all": True}
        w.grant("dave", exp, "READ")
        assert w.client.get(SESSION_API, headers=basic("dave")).json()["manages"] == {"all_but": [exp]}


def test_sign_in_page_carries_the_ui_route_into_next(world: AuthWorld) -> None:
    """Browsers keep the ``#/...`` fragment over the 303 to /signin but never send it: the page's only
    script appends it to ``next`` on submit; the CSP allows exactly that script, by its hash."""
    import base64
    import hashlib

    from tracklog.server.routes.sessions import SIGNIN_SCRIPT

    page = world.client.get("/signin", params={"next": "/"})
    assert f"<script>{SIGNIN_SCRIPT}</script>" in page.text
    assert page.text.count("<script") == 1
    digest = base64.b64encode(hashlib.sha256(SIGNIN_SCRIPT.encode()).digest()).decode()
    csp = page.headers["content-security-policy"]
    script_src = next(part.strip() for part in csp.split(";") if part.strip().startswith("script-src"))
    assert script_src == f"script-src 'self' 'sha256-{digest}'"
    r = sign_in(world, next_path="/?x=1#/runs/abc?tab=metrics")
    assert r.status_code == 303 and r.headers["location"] == "/?x=1#/runs/abc?tab=metrics"
    # whatever the fragment holds, next stays a path on this server
    world.client.cookies.clear()
    r = sign_in(world, next_path="/#//evil.example/x")
    assert r.status_code == 303 and r.headers["location"] == "/#//evil.example/x"


def test_without_auth_the_ui_learns_it_without_an_error(tmp_path: Path, auth_template_db: Path) -> None:
    from tracklog.store.registry import get_store

    for plain in make_world(tmp_path, auth_template_db, get_store, auth=False):
        r = plain.client.get("/ajax-api/2.0/tracklog/session")
        assert r.status_code == 200 and r.json() == {"auth": False}
        assert plain.client.get("/signin").status_code == 404
