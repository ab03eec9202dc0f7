"""Groups and their experiment permissions (tracklog-specific; only served with ``--auth``).

* ``/api/2.0/tracklog/groups/{create,list,get,delete}`` and ``.../groups/members/{add,remove}``:
  administrators only;
* ``/api/2.0/tracklog/experiments/permissions/groups/{grant,revoke}``: MANAGE on the experiment
  (no more than the granter has);
* ``/api/2.0/tracklog/experiments/permissions/list``: every user and group grant on one
  experiment (MANAGE), for the admin screens.

A member's permission on an experiment is the highest of its own (or the default) and its
groups' grants (see ``tracklog.auth.service``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tracklog.auth.rules import ADMIN, Level, Rule, experiment
from tracklog.auth.service import AuthService, Principal
from tracklog.exceptions import InvalidArgument, PermissionDenied
from tracklog.server.request import Params
from tracklog.server.routes.auth import Handler, _endpoint, _experiment_id, _permission
from tracklog.server.routing import RouteTable

table = RouteTable("groups")

GROUPS = "/api/2.0/tracklog/groups"
PERMISSIONS = "/api/2.0/tracklog/experiments/permissions"
MAX_GROUP_NAME = 256


def _route(method: str, path: str, summary: str, fields: tuple[str, ...], permission: Rule
           ) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        table.raw(method, path, summary, fields, permission=permission,
                  body="none" if method == "GET" else "json")(_endpoint(fn))
        return fn

    return register


def _name(p: Params, field: str = "name") -> str:
    name = p.req_str(field)
    if not name or len(name) > MAX_GROUP_NAME or name != name.strip() or any(ord(c) < 32 for c in name):
        raise InvalidArgument("Group names are 1-256 characters, without control characters or surrounding "
                              "whitespace")
    return name


@_route("POST", f"{GROUPS}/create", "Create a group (admin)", ("name!",), ADMIN)
def create_group(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    return {"group": auth.store.groups.create(_name(p)).to_dict()}


@_route("GET", f"{GROUPS}/list", "List groups and their members (admin)", (), ADMIN)
def list_groups(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    return {"groups": [g.to_dict() for g in auth.store.groups.list_all()]}


@_route("GET", f"{GROUPS}/get", "A group and its members (admin)", ("name!",), ADMIN)
def get_group(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    return {"group": auth.store.groups.get(_name(p)).to_dict()}


@_route("DELETE", f"{GROUPS}/delete", "Delete a group and its grants (admin)", ("name!",), ADMIN)
def delete_group(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    auth.store.groups.delete(_name(p))
    return {}


@_route("POST", f"{GROUPS}/members/add", "Add a user to a group (admin)", ("group!", "username!"), ADMIN)
def add_member(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    user = auth.store.require_user(p.req_str("username"))
    auth.store.groups.add_member(_name(p, "group"), user.user_id)
    return {}


@_route("POST", f"{GROUPS}/members/remove", "Remove a user from a group (admin)", ("group!", "username!"), ADMIN)
def remove_member(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    user = auth.store.require_user(p.req_str("username"))
    auth.store.groups.remove_member(_name(p, "group"), user.user_id)
    return {}


def _manage(auth: AuthService, principal: Principal, experiment_id: int) -> Level:
    mine = auth.level(principal, experiment_id)
    if mine < Level.MANAGE:
        raise PermissionDenied(f"Permission denied: MANAGE on experiment {experiment_id} is required")
    return mine


@_route("POST", f"{PERMISSIONS}/groups/grant", "Grant a group a permission on an experiment (MANAGE)",
        ("experiment_id!", "group!", "permission!"), experiment(Level.MANAGE))
def grant_group(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    experiment_id = _experiment_id(p.req_id("experiment_id"))
    level = _permission(p)
    if level > _manage(auth, principal, experiment_id):
        raise PermissionDenied("You cannot grant more than you have")
    group = _name(p, "group")
    auth.store.groups.set_permission(experiment_id, group, level.name)
    return {"experiment_permission": {"experiment_id": str(experiment_id), "group": group,
                                      "permission": level.name}}


@_route("POST", f"{PERMISSIONS}/groups/revoke", "Remove a group's permission on an experiment (MANAGE)",
        ("experiment_id!", "group!"), experiment(Level.MANAGE))
def revoke_group(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    experiment_id = _experiment_id(p.req_id("experiment_id"))
    _manage(auth, principal, experiment_id)
    auth.store.groups.delete_permission(experiment_id, _name(p, "group"))
    return {}


@_route("GET", f"{PERMISSIONS}/list", "Every user and group grant on an experiment (MANAGE)",
        ("experiment_id!",), experiment(Level.MANAGE))
def list_permissions(auth: AuthService, principal: Principal, p: Params) -> dict[str, Any]:
    experiment_id = _experiment_id(p.req_id("experiment_id"))
    _manage(auth, principal, experiment_id)
    return {
        "experiment_id": str(experiment_id),
        "default_permission": auth.config.default_permission.name,
        "users": [{"username": u, "permission": lv} for u, lv in auth.store.experiment_permissions(experiment_id)],
        "groups": [{"group": g, "permission": lv} for g, lv in auth.store.groups.experiment_permissions(experiment_id)],
    }
