"""Deny by default: every route declares a rule, and each one refuses strangers.

The walk covers every route of the route table (``/api``, ``/ajax-api``, the artifact
proxy, ``/get-artifact``, upload-artifact, OpenAPI, auth administration) and the UI routes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.auth.helpers import AuthWorld, make_world

from tracklog.auth.rules import Kind, Source
from tracklog.server.routing import ApiRoute, all_routes
from tracklog.store.registry import get_store

ROUTES = [(route, path) for route in all_routes() for path in route.paths]


def _id(item: tuple[ApiRoute, str]) -> str:
    return f"{item[0].method} {item[1]}"


def test_every_route_declares_a_rule() -> None:
    missing = [_id(item) for item in ROUTES if item[0].permission is None]
    assert missing == []
    assert len(ROUTES) > 80


def test_deletes_need_manage() -> None:
    for route, path in ROUTES:
        rule = route.permission
        assert rule is not None
        deletes = route.method == "DELETE" or re.search(r"/(delete|restore)$", path)
        if deletes and rule.kind is Kind.EXPERIMENT and "permissions" not in path and "/tags" not in path \
                and "tag" not in path:
            assert rule.level.name == "MANAGE", _id((route, path))


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory, auth_template_db: Path) -> Iterator[AuthWorld]:
    """One server for the whole walk: strangers cannot change it (each test checks that)."""
    yield from make_world(tmp_path_factory.mktemp("walk"), auth_template_db, get_store, auth=True)


@pytest.fixture(scope="module")
def walk_world(walk: AuthWorld) -> dict[str, Any]:
    world = walk
    exp = world.experiment("admin", "secret")
    run = world.run("admin", exp)
    model = world.ok("admin", "POST", "logged-models", {"experiment_id": exp, "name": "m"})["model"]["info"]["model_id"]
    path = f"{exp}/{run}/artifacts/f.txt"
    assert world.status("admin", "PUT", f"/api/2.0/mlflow-artifacts/artifacts/{path}", content=b"x") == 200
    world.user("nobody")
    return {"exp": exp, "run": run, "model": model, "artifact": path, "name": "secret"}


def _fields(w: dict[str, Any]) -> dict[str, Any]:
    return {
        "experiment_id": w["exp"], "experiment_ids": [w["exp"]], "experiment_name": w["name"],
        "run_id": w["run"], "run_uuid": w["run"], "run_ids": [w["run"]], "model_id": w["model"],
        "path": w["exp"], "metric_key": "m", "key": "k", "value": "1", "timestamp": 1, "name": "n",
        "new_name": "renamed", "username": "admin", "password": "another-password-1", "permission": "READ",
        "resource_type": "experiment", "resource_id": w["exp"], "is_admin": True, "status": "READY",
        "token_id": 1, "artifact_file_path": "f.txt", "group": "g",
    }


def _request(world: AuthWorld, user: str | None, route: ApiRoute, path: str, w: dict[str, Any]) -> Any:
    concrete = (path.replace("{model_id}", w["model"]).replace("{tag_key:path}", "k")
                .replace("{artifact_path:path}", w["artifact"]).replace("{action}", "create"))
    fields = _fields(w)
    if route.body == "bytes":
        query = {"run_uuid": w["run"], "path": "g.txt"}
        return world.call(user, route.method, concrete, params=query, content=b"data")
    if route.method == "GET" or route.json_handler is None and route.body != "json":
        return world.call(user, route.method, concrete, params=fields)
    return world.call(user, route.method, concrete, fields)


@pytest.mark.parametrize("item", ROUTES, ids=[_id(i) for i in ROUTES])
def test_route_refuses_strangers(walk: AuthWorld, walk_world: dict[str, Any],
                                 item: tuple[ApiRoute, str]) -> None:
    world = walk
    route, path = item
    rule = route.permission
    assert rule is not None
    anonymous = _request(world, None, route, path, walk_world)
    if rule.kind is Kind.PUBLIC:
        if route.produces == "text/html" and route.method == "POST":
            # the sign-in form: a post without its form token opens nothing
            assert anonymous.status_code == 403 and "tracklog_session" not in anonymous.headers.get("set-cookie", "")
        else:
            assert anonymous.status_code == 200
        return
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.headers["www-authenticate"].startswith("Basic")
    assert anonymous.json()["error_code"] == "UNAUTHENTICATED"
    stranger = _request(world, "nobody", route, path, walk_world)
    if rule.kind is Kind.AUTHENTICATED:
        assert stranger.status_code not in (401, 500), stranger.text
    elif rule.source in (Source.SEARCH, Source.EXPERIMENT_SEARCH):
        assert stranger.status_code == 200, stranger.text
        body = stranger.json()
        # only what the stranger created itself (experiments/create earlier in the walk) may show up
        assert {e["name"] for e in body.get("experiments", [])} <= {"n"}, body
        assert not body.get("runs") and not body.get("models"), body
    else:
        assert stranger.status_code == 403, stranger.text
        assert stranger.json()["error_code"] == "PERMISSION_DENIED"
    # nothing of the admin's changed
    experiment = world.ok("admin", "GET", "experiments/get", {"experiment_id": walk_world["exp"]})
    assert experiment["experiment"]["name"] == "secret"
    assert world.ok("admin", "GET", "runs/get", {"run_id": walk_world["run"]})["run"]["info"]["lifecycle_stage"] \
        == "active"
    assert world.status("admin", "GET", f"/api/2.0/mlflow-artifacts/artifacts/{walk_world['artifact']}") == 200


@pytest.mark.parametrize("method,path", [("GET", "/"), ("GET", "/experiments/1"), ("GET", "/assets/x.js")])
def test_ui_routes_need_a_user(world: AuthWorld, method: str, path: str) -> None:
    assert world.status(None, method, path) == 401
    world.user("viewer")
    assert world.status("viewer", method, path) in (200, 404)


def test_undeclared_paths_are_refused(world: AuthWorld) -> None:
    world.user("viewer")
    assert world.status(None, "POST", "/api/2.0/mlflow/graphql") == 401
    assert world.status("viewer", "POST", "/api/2.0/mlflow/graphql") == 403
    assert world.status("viewer", "DELETE", "/anything") == 403
    assert world.status(None, "GET", "/health") == 200
