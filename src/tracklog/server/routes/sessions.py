"""Web UI sign-in: the sign-in page, session cookies, sign-out (only served with ``--auth``).

* ``GET /signin``: a small server-rendered form (works with and without JavaScript; its one
  script carries the ``#/...`` fragment of the page the user asked for into ``next``);
* ``POST /signin`` (``application/x-www-form-urlencoded``): checks the form's CSRF value against
  the ``tracklog_signin`` cookie, verifies the password once (rate limited like Basic), opens a
  session and redirects (303) to ``next`` (a path on this server only);
* ``POST /api/2.0/tracklog/session/logout``: revokes the session and clears the cookies;
* ``GET /api/2.0/tracklog/session``: who is signed in, how, the user's groups and the
  experiments they hold MANAGE on (``{"auth": false}`` on a server without ``--auth``).

Cookies and CSRF: see ``tracklog.auth.sessions``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
from typing import Any
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tracklog.auth.rules import AUTHENTICATED, PUBLIC, Level
from tracklog.auth.service import AuthService, ReadableSet
from tracklog.auth.sessions import CSRF_COOKIE, SESSION_COOKIE, SIGNIN_COOKIE, csrf_token, new_secret
from tracklog.exceptions import EndpointNotFound, PermissionDenied, RateLimited, Unauthenticated
from tracklog.server.context import ServerContext
from tracklog.server.responses import json_response
from tracklog.server.routing import RouteTable
from tracklog.server.ui import UI_CSP

table = RouteTable("sessions")

SESSION_API = "/api/2.0/tracklog/session"
MAX_FORM_BYTES = 8192

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · tracklog</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>
body{{font:15px/1.5 system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}}
main{{max-width:22rem;margin:12vh auto;background:#fff;padding:2rem;border-radius:10px;
box-shadow:0 2px 12px #0002}}
h1{{font-size:1.3rem;margin:0 0 1.2rem}} label{{display:block;margin:.8rem 0 .2rem;font-weight:600}}
input[type=text],input[type=password]{{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #bbc;
border-radius:6px;font:inherit}}
button{{margin-top:1.2rem;width:100%;padding:.6rem;border:0;border-radius:6px;background:#2f6fde;color:#fff;
font:inherit;font-weight:600;cursor:pointer}}
.error{{background:#fde8e8;color:#9b1c1c;padding:.5rem .7rem;border-radius:6px}}
@media (prefers-color-scheme: dark){{body{{background:#15181e;color:#e6e8ee}}main{{background:#1f232b}}
input[type=text],input[type=password]{{background:#15181e;color:inherit;border-color:#445}}}}
</style></head>
<body><main>
<h1>Sign in to tracklog</h1>
{error}
<form method="post" action="{action}" id="signin-form">
<input type="hidden" name="csrf" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" required autofocus value="{username}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
</main><script>{script}</script></body></html>
"""

# The fragment of the page the user asked for (``#/runs/...``) never reaches the server: the
# redirect to this page keeps it in the address bar (browsers carry it over a 303), and this
# script appends it to ``next`` on submit, unless ``next`` has one already (the UI's own redirect
# puts it there). Only UI routes (``#/``...) are carried. ``next`` stays a path on this server
# whatever the fragment holds, and the server checks it again. Allowed by its hash in the CSP.
SIGNIN_SCRIPT = (
    'document.getElementById("signin-form").addEventListener("submit",function(e){'
    'var next=e.target.elements.next,hash=window.location.hash;'
    'if(/^#\\/[^\\s]*$/.test(hash)&&hash.length<=2000&&next.value.indexOf("#")<0)next.value+=hash;});'
)
_SIGNIN_CSP = UI_CSP.replace(
    "script-src 'self'",
    "script-src 'self' 'sha256-" + base64.b64encode(hashlib.sha256(SIGNIN_SCRIPT.encode()).digest()).decode() + "'",
)


def _service(ctx: ServerContext) -> AuthService:
    if ctx.auth is None:
        raise EndpointNotFound("Authentication is not enabled on this server (start it with --auth)")
    return ctx.auth


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/") + "/"


def _secure(ctx: ServerContext, request: Request) -> bool:
    return _service(ctx).config.secure_cookies or request.url.scheme == "https"


def _safe_next(request: Request, target: str | None) -> str:
    """Only a path on this server (no scheme, no host, no ``//`` or ``\\`` tricks) may be the target."""
    root = _root(request)
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target \
            or any(ord(c) < 32 for c in target) or not target.startswith(root):
        return root
    return target


def _page(ctx: ServerContext, request: Request, status: int, *, error: str = "", username: str = "",
          next_path: str | None = None) -> Response:
    token = new_secret()
    body = _PAGE.format(
        error=f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "",
        action=html.escape(_root(request) + "signin", quote=True),
        csrf=token, next=html.escape(_safe_next(request, next_path), quote=True),
        username=html.escape(username, quote=True), script=SIGNIN_SCRIPT)
    response = HTMLResponse(body, status_code=status,
                            headers={"Cache-Control": "no-store", "Content-Security-Policy": _SIGNIN_CSP})
    response.set_cookie(SIGNIN_COOKIE, token, max_age=3600, path=_root(request), secure=_secure(ctx, request),
                        httponly=True, samesite="strict")
    return response


@table.raw("GET", "/signin", "The web UI's sign-in page (HTML)", ("next",), mirror=False,
           produces="text/html", permission=PUBLIC)
async def signin_page(ctx: ServerContext, request: Request) -> Response:
    _service(ctx)
    return _page(ctx, request, 200, next_path=request.query_params.get("next"))


async def _form(request: Request) -> dict[str, str]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return {}
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {key: values[0] for key, values in parsed.items() if values}


@table.raw("POST", "/signin", "Sign in with a username and password (HTML form; opens a session)",
           ("username!", "password!", "csrf!", "next"), mirror=False, body="form", produces="text/html",
           permission=PUBLIC)
async def signin(ctx: ServerContext, request: Request) -> Response:
    auth = _service(ctx)
    form = await _form(request)
    username, password = form.get("username", ""), form.get("password", "")
    next_path = form.get("next")
    expected = request.cookies.get(SIGNIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, form.get("csrf", "")):
        return _page(ctx, request, 403, error="The sign-in form expired; please try again.",
                     username=username, next_path=next_path)
    client = request.client
    try:
        secret, _ = await run_in_threadpool(auth.login, username, password, client.host if client else None)
    except RateLimited:
        return _page(ctx, request, 429, error="Too many failed sign-in attempts; try again later.",
                     username=username, next_path=next_path)
    except Unauthenticated:
        return _page(ctx, request, 401, error="Invalid username or password.", username=username,
                     next_path=next_path)
    response = RedirectResponse(_safe_next(request, next_path), 303, headers={"Cache-Control": "no-store"})
    lifetime = int(auth.config.session_lifetime)
    secure = _secure(ctx, request)
    response.set_cookie(SESSION_COOKIE, secret, max_age=lifetime, path=_root(request), secure=secure,
                        httponly=True, samesite="lax")
    response.set_cookie(CSRF_COOKIE, csrf_token(secret), max_age=lifetime, path=_root(request), secure=secure,
                        httponly=False, samesite="strict")
    response.delete_cookie(SIGNIN_COOKIE, path=_root(request), secure=secure, httponly=True, samesite="strict")
    return response


@table.raw("POST", f"{SESSION_API}/logout", "Sign out: revoke this browser session and clear its cookies",
           (), body="json", permission=AUTHENTICATED)
async def signout(ctx: ServerContext, request: Request) -> Response:
    auth = _service(ctx)
    from tracklog.server.middleware.auth import principal_of

    principal = principal_of(request)
    if principal is not None and principal.session:
        await run_in_threadpool(auth.logout, principal.session)
    response = json_response({})
    secure = _secure(ctx, request)
    response.delete_cookie(SESSION_COOKIE, path=_root(request), secure=secure, httponly=True, samesite="lax")
    response.delete_cookie(CSRF_COOKIE, path=_root(request), secure=secure, samesite="strict")
    return response


@table.raw("GET", SESSION_API, "Who is signed in: the user, how (session, password, token, proxy), groups, "
           "the experiments they hold MANAGE on",
           (), permission=AUTHENTICATED)
async def current_session(ctx: ServerContext, request: Request) -> Response:
    if ctx.auth is None:  # the web UI asks on every start: answer without an error when auth is off
        return json_response({"auth": False})
    auth = ctx.auth
    from tracklog.server.middleware.auth import principal_of

    principal = principal_of(request)
    if principal is None:  # the middleware refuses anonymous callers first
        raise PermissionDenied("Authentication required")
    groups = await run_in_threadpool(auth.store.groups.groups_of, principal.user_id)
    manages = await run_in_threadpool(auth.holding, principal, Level.MANAGE)
    return json_response({"auth": True, "user": {"id": principal.user_id, "username": principal.username,
                                   "is_admin": principal.is_admin},
                          "via": principal.via, "groups": groups, "manages": _experiment_set(manages)})


def _experiment_set(found: ReadableSet) -> dict[str, Any]:
    """``{"all": true}``, ``{"all_but": [ids]}`` or ``{"only": [ids]}`` (ids as strings, like experiment ids)."""
    if found.everything or (found.exclude and not found.ids):
        return {"all": True}
    return {"all_but" if found.exclude else "only": [str(i) for i in sorted(found.ids)]}
