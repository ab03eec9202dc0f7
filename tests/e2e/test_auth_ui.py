"""Browser sign-in against ``tracklog server --auth``: sign-in page, session cookie flags, CSRF,
the token page, the admin screens (users, groups, experiment permissions), sign-out."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.conftest import STATIC_INDEX, PageProbe, _missing, _stop_server, start_auth_server

pytestmark = pytest.mark.xdist_group("e2e")

ADMIN = ("root", "root-password-123")


def _call(url: str, method: str, path: str, body: Any = None, *, auth: tuple[str, str] | None = ADMIN,
          token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    elif auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    data = None
    if method == "GET" and body:
        path += "?" + "&".join(f"{k}={v}" for k, v in body.items())
    elif method != "GET":
        data = json.dumps(body or {}).encode()
    request = urllib.request.Request(url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    if not STATIC_INDEX.is_file():
        _missing(f"the web UI is not built ({STATIC_INDEX} missing): run scripts/build-ui.sh")
    work: Path = tmp_path_factory.mktemp("e2e-auth")
    proc, url, log = start_auth_server(work, ADMIN)
    try:
        status, body = _call(url, "POST", "/api/2.0/mlflow/experiments/create", {"name": "auth-e2e-exp"})
        assert status == 200, body
        yield {"url": url, "exp": str(body["experiment_id"])}
    finally:
        _stop_server(proc, log)


@pytest.fixture
def page_probe(ui_browser: Any, auth_server: dict[str, str]) -> Iterator[PageProbe]:
    context = ui_browser.new_context(viewport={"width": 1440, "height": 900}, base_url=auth_server["url"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    probe = PageProbe(page)
    yield probe
    context.close()
    assert probe.dialogs == [], f"a dialog fired: {probe.dialogs}"
    assert probe.errors == [], f"errors in the page: {probe.errors}"


def _sign_in(page: Any, username: str, password: str) -> None:
    page.goto("/")
    page.wait_for_url("**/signin?next=*")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_test_id("signed-in-user").wait_for()


def test_sign_in_tokens_admin_and_sign_out(page_probe: PageProbe, auth_server: dict[str, str]) -> None:
    page, url, exp = page_probe.page, auth_server["url"], auth_server["exp"]
    _sign_in(page, *ADMIN)
    assert page.get_by_test_id("signed-in-user").inner_text().startswith("root")
    page.get_by_role("tree", name="Experiments").get_by_text("auth-e2e-exp").wait_for()

    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["tracklog_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax" and session["expires"] > 0
    assert not cookies["tracklog_csrf"]["httpOnly"] and cookies["tracklog_csrf"]["sameSite"] == "Strict"

    # CSRF: a cookie-authenticated write without the token is refused, even from the page itself
    page_probe.allow_http_error(403)
    # (XMLHttpRequest: the UI's fetch wrapper would add the token)
    raw = page.evaluate("""() => new Promise((done) => {
        const x = new XMLHttpRequest();
        x.open('POST', 'ajax-api/2.0/mlflow/experiments/create');
        x.setRequestHeader('Content-Type', 'application/json');
        x.onload = () => done(x.status);
        x.send(JSON.stringify({name: 'forged'}));
    })""")
    assert raw == 403

    # token page: create (secret shown once), use it, revoke it
    page.goto("/#/account")
    page.get_by_label("Token name").fill("e2e-token")
    page.get_by_label("Expires in days").fill("7")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_test_id("token-secret").inner_text().strip()
    assert secret.startswith("tl_")
    page.get_by_test_id("token-row").filter(has_text="e2e-token").wait_for()
    assert _call(url, "GET", "/api/2.0/mlflow/experiments/get", {"experiment_id": exp}, token=secret)[0] == 200
    page.get_by_role("button", name="Revoke e2e-token").click()
    page.get_by_test_id("token-row").filter(has_text="e2e-token").wait_for(state="detached")
    assert _call(url, "GET", "/api/2.0/mlflow/experiments/get", {"experiment_id": exp}, token=secret)[0] == 401

    # admin screens: a user, a group with that user, a group grant on the experiment
    page.goto("/#/access")
    page.get_by_label("New username").fill("carol")
    page.get_by_label("New user's password").fill("carol-password-1")
    page.get_by_role("button", name="Create user").click()
    page.get_by_test_id("user-carol").wait_for()
    carol = ("carol", "carol-password-1")
    assert _call(url, "GET", "/api/2.0/mlflow/experiments/get", {"experiment_id": exp}, auth=carol)[0] == 403
    page.get_by_role("tab", name="Groups").click()
    page.get_by_label("New group name").fill("team")
    page.get_by_role("button", name="Create group").click()
    page.get_by_label("Add a member to team").fill("carol")
    page.get_by_test_id("group-team").get_by_role("button", name="Add").click()
    page.get_by_test_id("group-team").get_by_text("carol").wait_for()
    page.get_by_role("tab", name="Experiment permissions").click()
    page.get_by_label("Experiment", exact=True).select_option(exp)
    page.get_by_label("Grant to").select_option("group")
    page.get_by_label("User or group name").fill("team")
    page.get_by_label("Permission to grant").select_option("READ")
    page.get_by_role("button", name="Grant").click()
    page.get_by_test_id("perm-group-team").wait_for()
    assert _call(url, "GET", "/api/2.0/mlflow/experiments/get", {"experiment_id": exp}, auth=carol)[0] == 200
    page.get_by_test_id("perm-group-team").get_by_role("button", name="Revoke").click()
    page.get_by_test_id("perm-group-team").wait_for(state="detached")
    assert _call(url, "GET", "/api/2.0/mlflow/experiments/get", {"experiment_id": exp}, auth=carol)[0] == 403
    page_probe.shot("auth-admin")

    # sign out: back to the sign-in page, and the old session is gone
    page_probe.allow_http_error(401)  # the UI's in-flight refreshes after the session ends
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signin*")
    page.goto("/")
    page.wait_for_url("**/signin?next=*")
    page.get_by_role("button", name="Sign in").wait_for()


def test_wrong_password_stays_on_sign_in(page_probe: PageProbe) -> None:
    page = page_probe.page
    page_probe.allow_http_error(401)
    page.goto("/signin")
    page.get_by_label("Username").fill(ADMIN[0])
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").filter(has_text="Invalid username or password").wait_for()
    assert "tracklog_session" not in {c["name"] for c in page.context.cookies()}


def test_sign_in_returns_to_the_ui_route(page_probe: PageProbe, auth_server: dict[str, str]) -> None:
    """The ``#/...`` route survives both ways to the sign-in page: the server's 303 for a signed-out
    page load (the browser keeps the fragment, the sign-in page's script puts it into ``next``)
    and the UI's own redirect when an API call answers 401 mid-session (``signInUrl``)."""
    page = page_probe.page
    page_probe.allow_http_error(401)
    page.goto("/#/account")
    page.wait_for_url("**/signin?next=**")
    page.get_by_label("Username").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_test_id("account-page").wait_for()
    assert page.url.endswith("/#/account")
    assert page.url.count("#") == 1

    page.goto("/#/access")
    page.get_by_test_id("access-page").wait_for()
    page.context.clear_cookies()  # the session ends while the UI is open
    page.evaluate("() => { window.location.hash = '#/account'; }")  # the account page's fetch gets a 401
    page.wait_for_url("**/signin?next=**")
    assert "next=%2F%23%2Faccount" in page.url
    page.get_by_label("Username").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_test_id("account-page").wait_for()
    assert page.url.endswith("/#/account")


def test_permissions_link_only_for_managers(page_probe: PageProbe, auth_server: dict[str, str]) -> None:
    page, url, exp = page_probe.page, auth_server["url"], auth_server["exp"]
    dave = ("dave", "dave-password-12")
    assert _call(url, "POST", "/api/2.0/mlflow/users/create", {"username": dave[0], "password": dave[1]})[0] == 200
    _sign_in(page, *dave)
    page.get_by_test_id("auth-menu").get_by_role("link", name="Tokens").wait_for()
    assert page.get_by_test_id("auth-menu").get_by_role("link", name="Permissions").count() == 0
    page.goto("/#/access")  # typed by hand: the page says why there is nothing to do
    page.get_by_text("You hold MANAGE on no experiment").wait_for()

    other = _call(url, "POST", "/api/2.0/mlflow/experiments/create", {"name": "dave-manages"})[1]["experiment_id"]
    grant = {"experiment_id": other, "username": dave[0], "permission": "MANAGE"}
    assert _call(url, "POST", "/api/2.0/mlflow/experiments/permissions/create", grant)[0] == 200
    page.goto("/#/")
    page.reload()
    page.get_by_test_id("auth-menu").get_by_role("link", name="Permissions").click()
    page.get_by_test_id("access-page").wait_for()
    options = page.get_by_label("Experiment", exact=True).locator("option").all_inner_texts()
    assert options == ["(choose)", f"dave-manages ({other})"]  # not auth-e2e-exp ({exp}): no MANAGE there
    assert exp != other
