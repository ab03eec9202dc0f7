"""Authentication, and deny by default (installed only with ``--auth``).

``AuthMiddleware`` identifies the caller (``AuthService.authenticate``) and stores the
``Principal`` (or None) in ``scope["tracklog.principal"]`` -- before any check, so the access
log names the user of a refused (403) request too; a caller whose credentials fail is None
there, and the name it tried is never logged (see docs/auth.md) -- then looks up the rule of
the route the request will reach (``RouteRules``):

* no rule for this path and method -> 401 for anonymous callers, else 403;
* ``public`` -> passes, with or without credentials;
* anything else -> 401 (with ``WWW-Authenticate: Basic``, except for the web UI's own fetches,
  so browsers show no password dialog) for anonymous callers; a browser asking for a web UI
  page (``Accept: text/html``) is redirected to the sign-in page instead;
  ``admin`` -> 403 for non-admins.

Callers identified by the session cookie (and only they: Basic, Bearer and proxy callers are
not affected) must send the session's CSRF token in ``X-CSRF-Token`` with every request other
than GET/HEAD/OPTIONS, else 403 -- except on public routes, which act with no one's authority
(the sign-in form, which has its own double-submit token, so a signed-in user can sign in as
someone else).

Experiment-level rules need the request's fields: ``guarded_endpoint`` (which wraps every
route-table endpoint when auth is on) checks them with ``policy.authorize``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request, cookie_parser
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tracklog.auth.policy import NOTHING_READABLE, RouteRules, authorize
from tracklog.auth.rules import Kind
from tracklog.auth.service import AuthService, Principal
from tracklog.auth.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_matches
from tracklog.exceptions import PermissionDenied, TrackingError, Unauthenticated
from tracklog.server.context import ServerContext
from tracklog.server.errors import error_response
from tracklog.server.request import Params, read_params
from tracklog.server.responses import json_response

__all__ = ["PRINCIPAL_KEY", "AuthMiddleware", "guarded_endpoint", "principal_of"]

PRINCIPAL_KEY = "tracklog.principal"
_CHALLENGE = (b"www-authenticate", b'Basic realm="tracklog", charset="UTF-8"')
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SIGNIN_PATH = "/signin"


def principal_of(request: Request) -> Principal | None:
    value = request.scope.get(PRINCIPAL_KEY)
    return value if isinstance(value, Principal) else None


def _from_browser_script(headers: Headers) -> bool:
    """A fetch of the web UI (or one carrying its cookies): no Basic challenge, no password dialog."""
    return headers.get("sec-fetch-mode") in ("cors", "same-origin", "no-cors") \
        or SESSION_COOKIE in cookie_parser(headers.get("cookie", ""))


def _refuse(exc: TrackingError, headers: Headers | None = None) -> Response:
    response = error_response(exc)
    if isinstance(exc, Unauthenticated) and not (headers is not None and _from_browser_script(headers)):
        response.raw_headers.append(_CHALLENGE)
    return response


def _wants_page(scope: Scope, headers: Headers) -> bool:
    return scope["method"] in ("GET", "HEAD") and "text/html" in headers.get("accept", "")


class AuthMiddleware:
    def __init__(self, app: ASGIApp, service: AuthService, rules: RouteRules) -> None:
        self.app = app
        self.service = service
        self.rules = rules
        self.proxy_header = (service.config.proxy_header or "").lower() or None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            principal = await self._identify(scope, headers)
            scope[PRINCIPAL_KEY] = principal  # also for a refusal below: the access log names the user
            found, rule = self.rules.match(scope["method"], scope["path"])
            public = rule is not None and rule.kind is Kind.PUBLIC  # acts with no one's authority
            if principal is not None and principal.via == "session" and scope["method"] not in _SAFE_METHODS \
                    and not public:
                assert principal.session is not None
                if not csrf_matches(principal.session, headers.get(CSRF_HEADER)):
                    raise PermissionDenied("Missing or wrong CSRF token (send the tracklog_csrf cookie's "
                                           "value in the X-CSRF-Token header)")
            if rule is None or rule.kind is not Kind.PUBLIC:
                if principal is None and rule is not None and rule.page and _wants_page(scope, headers):
                    await self._to_signin(scope)(scope, receive, send)
                    return
                if principal is None:
                    raise Unauthenticated("Authentication required")
                if not found or rule is None:
                    raise PermissionDenied("No access rule is declared for this endpoint (deny by default)")
                if rule.kind is Kind.ADMIN and not principal.is_admin:
                    raise PermissionDenied("Only administrators may do this")
        except TrackingError as exc:
            await _refuse(exc, headers)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _to_signin(self, scope: Scope) -> Response:
        path = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        target = path + (f"?{query}" if query else "")
        from urllib.parse import quote

        return RedirectResponse(f"{self.rules.prefix}{SIGNIN_PATH}?next={quote(target, safe='')}", 303,
                                headers={"Cache-Control": "no-store"})

    async def _identify(self, scope: Scope, headers: Headers) -> Principal | None:
        client = scope.get("client")
        peer = str(client[0]) if client else None
        proxy_user = (headers.get(self.proxy_header) or None) if self.proxy_header else None
        authorization = headers.get("authorization")
        if authorization is not None or proxy_user is not None:
            found = await run_in_threadpool(self.service.authenticate, authorization, proxy_user, peer)
            if found is not None:
                return found
        secret = cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE)
        if not secret:
            return None
        return await run_in_threadpool(self.service.session_principal, secret)


def _query_params(request: Request) -> Params:
    query: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        query.setdefault(key, []).append(value)
    params = Params(query, from_query=True)
    return params.with_path_params(request.path_params) if request.path_params else params


def guarded_endpoint(route: Any, ctx: ServerContext) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of ``route`` (an ``ApiRoute``) with its rule checked first."""
    auth = ctx.auth
    assert auth is not None
    rule = route.permission

    async def check(request: Request, params: Params) -> Params | object:
        try:
            return await run_in_threadpool(authorize, auth, rule, principal_of(request), params)
        except Unauthenticated as exc:
            return _refuse(exc, request.headers)

    if route.raw_handler is not None:
        raw = route.raw_handler

        async def raw_endpoint(request: Request) -> Response:
            # Raw routes with a JSON body are read here (Starlette keeps the body for the handler);
            # the others take their fields from the path and query (their bodies are files).
            fields = await read_params(request) if route.body == "json" else _query_params(request)
            outcome = await check(request, fields)
            if isinstance(outcome, Response):
                return outcome
            if outcome is NOTHING_READABLE:
                return json_response({})
            response: Response = await raw(ctx, request)
            return response

        return raw_endpoint
    handler = route.json_handler

    async def json_endpoint(request: Request) -> Response:
        outcome = await check(request, await read_params(request))
        if isinstance(outcome, Response):
            return outcome
        if outcome is NOTHING_READABLE:
            return json_response({})
        assert isinstance(outcome, Params)
        result: dict[str, Any] = await run_in_threadpool(handler, ctx, outcome)
        principal = principal_of(request)
        if rule is not None and rule.grant_creator and principal is not None and "experiment_id" in result:
            await run_in_threadpool(_grant_creator, auth, principal, str(result["experiment_id"]))
        return json_response(result)

    return json_endpoint


def _grant_creator(auth: AuthService, principal: Principal, experiment_id: str) -> None:
    auth.store.set_experiment_permission(int(experiment_id), principal.user_id, "MANAGE")
