"""A real nginx in front of ``tracklog server --auth`` in trusted-header mode.

nginx asks a stub of OAuth2 Proxy's ``/oauth2/auth`` (``auth_request``), which answers 202 with
``X-Auth-Request-Email`` for a signed-in browser (a cookie) and 401 otherwise; nginx passes the
e-mail on as ``X-Forwarded-User``. tracklog believes that header only from 127.0.0.1: the same
forged header sent straight to tracklog from another address (127.0.0.2) is ignored.
The nginx configuration is the one shown in docs/auth.md.
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.conftest import _stop_server, start_auth_server
from tests.nginx import run_nginx

pytestmark = pytest.mark.xdist_group("nginx-auth")

ADMIN = ("root", "root-password-123")
SESSIONS = {"alice-cookie": "alice@example.com"}  # the stub's "signed-in browsers"

NGINX_SERVER = """
        location = /oauth2/auth {{
            internal;
            proxy_pass http://127.0.0.1:{stub}/oauth2/auth;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
        }}
        location / {{
            auth_request /oauth2/auth;
            auth_request_set $email $upstream_http_x_auth_request_email;
            proxy_set_header X-Forwarded-User $email;
            proxy_set_header Host $host;
            proxy_pass http://127.0.0.1:{tracklog};
        }}
"""


class _StubAuth(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        cookie = self.headers.get("Cookie", "")
        user = next((u for c, u in SESSIONS.items() if f"_oauth2_proxy={c}" in cookie), None)
        self.send_response(202 if user else 401)
        if user:
            self.send_header("X-Auth-Request-Email", user)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work: Path = tmp_path_factory.mktemp("nginx-auth")
    stub = ThreadingHTTPServer(("127.0.0.1", 0), _StubAuth)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    proc, url, log = start_auth_server(work, ADMIN, "--auth-proxy-header", "X-Forwarded-User",
                                       "--auth-trusted-proxies", "127.0.0.1")
    try:
        port = int(url.rsplit(":", 1)[1])
        config = NGINX_SERVER.format(stub=stub.server_address[1], tracklog=port)
        with run_nginx(config, directory=work / "nginx") as front:
            yield {"front": front, "port": port}
    finally:
        _stop_server(proc, log)
        stub.shutdown()


def _get(host: str, port: int, path: str, headers: dict[str, str], source: str | None = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection(host, port, timeout=10,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        try:
            return response.status, json.loads(body or b"{}")
        except ValueError:
            return response.status, body.decode(errors="replace")
    finally:
        conn.close()


def _front(stack: dict[str, Any], path: str, headers: dict[str, str]) -> tuple[int, Any]:
    port = int(stack["front"].rsplit(":", 1)[1])
    return _get("127.0.0.1", port, path, headers)


def test_user_signed_in_at_the_proxy_lands_as_that_user(stack: dict[str, Any]) -> None:
    status, body = _front(stack, "/api/2.0/tracklog/session", {"Cookie": "_oauth2_proxy=alice-cookie"})
    assert status == 200, body
    assert body["user"]["username"] == "alice@example.com" and body["via"] == "proxy"
    assert body["user"]["is_admin"] is False
    # a header the browser sends itself is replaced by nginx
    status, body = _front(stack, "/api/2.0/tracklog/session",
                          {"Cookie": "_oauth2_proxy=alice-cookie", "X-Forwarded-User": ADMIN[0]})
    assert status == 200 and body["user"]["username"] == "alice@example.com"
    # the proxy user is an ordinary user: no access to others' experiments
    admin = {"Authorization": "Basic " + base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()}
    conn = http.client.HTTPConnection("127.0.0.1", stack["port"], timeout=10)
    conn.request("POST", "/api/2.0/mlflow/experiments/create", body=json.dumps({"name": "roots"}),
                 headers={**admin, "Content-Type": "application/json"})
    created = json.loads(conn.getresponse().read())
    conn.close()
    status, _ = _front(stack, f"/api/2.0/mlflow/experiments/get?experiment_id={created['experiment_id']}",
                       {"Cookie": "_oauth2_proxy=alice-cookie"})
    assert status == 403


def test_not_signed_in_at_the_proxy_is_refused_there(stack: dict[str, Any]) -> None:
    status, _ = _front(stack, "/api/2.0/tracklog/session", {"X-Forwarded-User": ADMIN[0]})
    assert status == 401


def test_forged_header_from_a_non_proxy_address_is_ignored(stack: dict[str, Any]) -> None:
    path = "/api/2.0/tracklog/session"
    forged = {"X-Forwarded-User": ADMIN[0]}
    status, body = _get("127.0.0.1", stack["port"], path, forged, source="127.0.0.2")
    assert status == 401, body
    assert body["error_code"] == "UNAUTHENTICATED"
    # the same request from the trusted address is believed: only the proxy may reach tracklog
    # on that address (bind tracklog to loopback or firewall it, see docs/auth.md)
    status, body = _get("127.0.0.1", stack["port"], path, forged, source="127.0.0.1")
    assert status == 200 and body["user"]["username"] == ADMIN[0]
