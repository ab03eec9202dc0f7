"""Users, experiment permissions and access tokens (only served with ``--auth``).

Wire compatible with MLflow's basic-auth app, so ``mlflow.server.auth.client.AuthServiceClient``
works: ``/api/2.0/mlflow/users/*``, ``/api/2.0/mlflow/experiments/permissions/*`` and the
3.x per-user grants ``/api/3.0/mlflow/users/permissions/{grant,revoke,get}`` (experiments only).
Personal access tokens live under ``/api/2.0/tracklog/tokens/*``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from tracklog.auth.rules import ADMIN, AUTHENTICATED, Level, Source, experiment
from tracklog.auth.service import AuthService, Principal
from tracklog.exceptions import EndpointNotFound, InvalidArgument, NotFound, PermissionDenied
from tracklog.server.context import ServerContext
from tracklog.server.request import Params, read_params
from tracklog.server.responses import json_response
from tracklog.server.routing import API, API_3, RouteTable

table = RouteTable("auth")

TOKENS = "/api/2.0/tracklog/tokens"
Handler = Callable[[AuthService, Principal, Params], dict[str, Any]]


def _endpoint(fn: Handler) -> Callable[[ServerContext, Request], Any]:
    async def endpoint(ctx: ServerContext, request: Request) -> Response:
        if ctx.auth is None:
            raise EndpointNotFound("Authentication is not enabled on this server (start it with --auth)")
        from tracklog.server.middleware.auth import principal_of

        principal = principal_of(request)
        if principal is None:  # the middleware already refused anonymous callers; never reached
            raise PermissionDenied("Authentication required")
        params = await read_params(request)
        return json_response(await run_in_threadpool(fn, ctx.auth, principal, params))

    return endpoint


def _route(method: str, path: str, summary: str, fields: tuple[str, ...], permission: Any
           ) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        table.raw(method, path, summary, fields, permission=permission,
                  body="none" if method == "GET" else "json")(_endpoint(fn))
        return fn

    return register


def _self_or_admin(principal: Principal, username: str) -> None:
    if not principal.is_admin and principal.username != username:
        raise PermissionDenied("Only administrators may act on other users")


# -- users ---------------------------------------------------------------------------------
@_route("POST", f"{API}/users/create", "Create a user (admin)", ("username!", "password!"), ADMIN)
def create_user(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    user = auth.create_user(p.req_str("username"), p.req_str("password"))
    return {"user": user.to_dict()}


@_route("GET", f"{API}/users/get", "Get a user (admin, or yourself)", ("username!",), AUTHENTICATED)
def get_user(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    username = p.req_str("username")
    _self_or_admin(principal, username)
    return {"user": auth.store.require_user(username).to_dict()}


@_route("GET", f"{API}/users/current", "The signed-in user", (), AUTHENTICATED)
def current_user(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    return {"user": auth.store.require_user(principal.username).to_dict()}


@_route("GET", f"{API}/users/list", "List users (admin)", (), ADMIN)
def list_users(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    return {"users": [u.to_dict() for u in auth.store.list_users()]}


@_route("PATCH", f"{API}/users/update-password",
        "Change a password (admin, or yourself with current_password)",
        ("username!", "password!", "current_password"), AUTHENTICATED)
def update_password(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    username = p.req_str("username")
    _self_or_admin(principal, username)
    if not principal.is_admin:
        current = p.opt_str("current_password")
        if not current or not auth.check_password(username, current):
            raise PermissionDenied("current_password is missing or wrong")
    auth.set_password(username, p.req_str("password"))
    return {}


def _keep_an_admin(auth: AuthService, username: str) -> None:
    user = auth.store.require_user(username)
    if user.is_admin and auth.store.count_admins() <= 1:
        raise InvalidArgument("Refusing to remove the last administrator")


@_route("PATCH", f"{API}/users/update-admin", "Make a user an administrator or not (admin)",
        ("username!", "is_admin!:bool"), ADMIN)
def update_admin(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    username = p.req_str("username")
    if not p.has("is_admin"):
        raise p.missing("is_admin")
    is_admin = p.boolean("is_admin")
    if not is_admin:
        _keep_an_admin(auth, username)
    auth.store.set_admin(username, is_admin)
    return {}


@_route("DELETE", f"{API}/users/delete", "Delete a user (admin)", ("username!",), ADMIN)
def delete_user(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    username = p.req_str("username")
    _keep_an_admin(auth, username)
    auth.store.delete_user(username)
    return {}


# -- experiment permissions ----------------------------------------------------------------
def _permission(p: Params, name: str = "permission") -> Level:
    try:
        return Level.parse(p.req_str(name))
    except ValueError as exc:
        raise InvalidArgument(str(exc)) from None


def _experiment_id(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidArgument(f"Invalid experiment id {value[:40]!r}") from None


def _require_manage(auth: AuthService, principal: Principal, experiment_id: int) -> Level:
    mine = auth.level(principal, experiment_id)
    if mine < Level.MANAGE:
        raise PermissionDenied(f"Permission denied: MANAGE on experiment {experiment_id} is required")
    return mine


def grant(auth: AuthService, principal: Principal, experiment_id: int, username: str, level: Level,
          must_exist: bool | None) -> dict[str, Any]:
    """Set a user's permission; the granter needs MANAGE and can't give more than it has."""
    mine = _require_manage(auth, principal, experiment_id)
    if level > mine:
        raise PermissionDenied("You cannot grant more than you have")
    user = auth.store.require_user(username)
    auth.store.set_experiment_permission(experiment_id, user.user_id, level.name, must_exist=must_exist)
    return {"experiment_permission": {"experiment_id": str(experiment_id), "user_id": user.user_id,
                                      "permission": level.name}}


_PERM_FIELDS = ("experiment_id!", "username!", "permission!")


@_route("POST", f"{API}/experiments/permissions/create", "Grant a user a permission on an experiment",
        _PERM_FIELDS, experiment(Level.MANAGE))
def create_permission(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    return grant(auth, principal, _experiment_id(p.req_id("experiment_id")), p.req_str("username"),
                 _permission(p), must_exist=False)


@_route("PATCH", f"{API}/experiments/permissions/update", "Change a user's permission on an experiment",
        _PERM_FIELDS, experiment(Level.MANAGE))
def update_permission(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    grant(auth, principal, _experiment_id(p.req_id("experiment_id")), p.req_str("username"),
          _permission(p), must_exist=True)
    return {}


@_route("GET", f"{API}/experiments/permissions/get", "A user's permission on an experiment",
        ("experiment_id!", "username!"), experiment(Level.READ))
def get_permission(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    experiment_id = _experiment_id(p.req_id("experiment_id"))
    username = p.req_str("username")
    if username != principal.username and auth.level(principal, experiment_id) < Level.MANAGE:
        raise PermissionDenied(f"Permission denied: MANAGE on experiment {experiment_id} is required")
    user = auth.store.require_user(username)
    stored = auth.store.experiment_permission(experiment_id, user.user_id)
    if stored is None:
        raise NotFound(f"No permission for experiment {experiment_id} and user {username!r}")
    return {"experiment_permission": {"experiment_id": str(experiment_id), "user_id": user.user_id,
                                      "permission": stored}}


@_route("DELETE", f"{API}/experiments/permissions/delete", "Remove a user's permission on an experiment",
        ("experiment_id!", "username!"), experiment(Level.MANAGE))
def delete_permission(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    experiment_id = _experiment_id(p.req_id("experiment_id"))
    _require_manage(auth, principal, experiment_id)
    user = auth.store.require_user(p.req_str("username"))
    auth.store.delete_experiment_permission(experiment_id, user.user_id)
    return {}


# MLflow 3.x per-user grants (AuthServiceClient.grant_user_permission & co.): experiments only.
def _resource(p: Params) -> int:
    if p.req_str("resource_type") != "experiment":
        raise InvalidArgument("Only resource_type 'experiment' is supported by this server")
    return _experiment_id(p.req_id("resource_id"))


_RESOURCE = experiment(Level.READ, Source.RESOURCE_ID)  # MANAGE, or READ for yourself


@_route("POST", f"{API_3}/users/permissions/grant", "Grant a user a permission (resource_type experiment)",
        ("username!", "resource_type!", "resource_id!", "permission!"), experiment(Level.MANAGE, Source.RESOURCE_ID))
def grant_user_permission(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    grant(auth, principal, _resource(p), p.req_str("username"), _permission(p), must_exist=None)
    return {}


@_route("POST", f"{API_3}/users/permissions/revoke", "Revoke a user's permission (resource_type experiment)",
        ("username!", "resource_type!", "resource_id!"), experiment(Level.MANAGE, Source.RESOURCE_ID))
def revoke_user_permission(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    experiment_id = _resource(p)
    _require_manage(auth, principal, experiment_id)
    user = auth.store.require_user(p.req_str("username"))
    auth.store.delete_experiment_permission(experiment_id, user.user_id)
    return {}


@_route("GET", f"{API_3}/users/permissions/get", "A user's effective permission (resource_type experiment)",
        ("username!", "resource_type!", "resource_id!"), _RESOURCE)
def get_user_permission(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    experiment_id = _resource(p)
    username = p.req_str("username")
    if username != principal.username and auth.level(principal, experiment_id) < Level.MANAGE:
        raise PermissionDenied(f"Permission denied: MANAGE on experiment {experiment_id} is required")
    user = auth.store.require_user(username)
    level = auth.level(Principal(user.user_id, user.username, user.is_admin), experiment_id)
    return {"allowed": level >= Level.READ, "permission": level.name}


# -- personal access tokens -------------------------------------------------------------------
@_route("POST", f"{TOKENS}/create", "Create a personal access token (shown once)",
        ("name", "expires_in_days:int"), AUTHENTICATED)
def create_token(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    if principal.via == "token":
        raise PermissionDenied("Access tokens cannot create tokens; sign in with your password")
    token, row = auth.create_token(principal.user_id, p.string("name"), p.opt_int("expires_in_days"))
    return {"token": token, "token_info": row.to_dict()}


@_route("GET", f"{TOKENS}/list", "List your access tokens (never their values)", (), AUTHENTICATED)
def list_tokens(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    return {"tokens": [t.to_dict() for t in auth.store.list_tokens(principal.user_id)]}


@_route("POST", f"{TOKENS}/revoke", "Revoke one of your access tokens", ("token_id!:int",), AUTHENTICATED)
def revoke_token(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    auth.store.revoke_token(principal.user_id, p.req_int("token_id"))
    return {}
