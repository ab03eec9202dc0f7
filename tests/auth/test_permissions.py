"""Permission levels against every route family; creators, admins, grants and search filtering."""

from __future__ import annotations

import io
import tarfile

import pytest
from tests.auth.helpers import AuthWorld

PROXY = "/api/2.0/mlflow-artifacts/artifacts"
BUNDLE = "/api/2.0/tracklog/artifacts/bundle"


@pytest.fixture
def setup(world: AuthWorld) -> dict[str, str]:
    exp = world.experiment("admin", "shared")
    run = world.run("admin", exp)
    model = world.ok("admin", "POST", "logged-models", {"experiment_id": exp})["model"]["info"]["model_id"]
    assert world.status("admin", "PUT", f"{PROXY}/{exp}/{run}/artifacts/a.txt", content=b"a") == 200
    for name, level in (("reader", "READ"), ("editor", "EDIT"), ("manager", "MANAGE")):
        world.user(name)
        world.grant(name, exp, level)
    world.user("nobody")
    return {"exp": exp, "run": run, "model": model}


def _read_calls(s: dict[str, str]) -> list[tuple[str, str, dict[str, object]]]:
    return [
        ("GET", "experiments/get", {"experiment_id": s["exp"]}),
        ("GET", "experiments/get-by-name", {"experiment_name": "shared"}),
        ("GET", "runs/get", {"run_id": s["run"]}),
        ("GET", "metrics/get-history", {"run_id": s["run"], "metric_key": "m"}),
        ("GET", "artifacts/list", {"run_id": s["run"]}),
        ("GET", f"logged-models/{s['model']}", {}),
        ("GET", f"{PROXY}/{s['exp']}/{s['run']}/artifacts/a.txt", {}),
        ("GET", "/get-artifact", {"run_id": s["run"], "path": "a.txt"}),
    ]


def _edit_calls(s: dict[str, str]) -> list[tuple[str, str, dict[str, object]]]:
    return [
        ("POST", "runs/log-metric", {"run_id": s["run"], "key": "m", "value": 1, "timestamp": 1}),
        ("POST", "runs/log-batch", {"run_id": s["run"], "params": [{"key": "p", "value": "1"}]}),
        ("POST", "runs/set-tag", {"run_id": s["run"], "key": "t", "value": "v"}),
        ("POST", "runs/create", {"experiment_id": s["exp"]}),
        ("POST", "experiments/set-experiment-tag", {"experiment_id": s["exp"], "key": "k", "value": "v"}),
        ("PATCH", f"logged-models/{s['model']}/tags", {"tags": [{"key": "k", "value": "v"}]}),
        ("POST", "logged-models", {"experiment_id": s["exp"]}),
    ]


def _manage_calls(s: dict[str, str]) -> list[tuple[str, str, dict[str, object]]]:
    return [
        ("DELETE", f"{PROXY}/{s['exp']}/{s['run']}/artifacts/a.txt", {}),
        ("DELETE", f"logged-models/{s['model']}", {}),
        ("POST", "runs/delete", {"run_id": s["run"]}),
        ("POST", "experiments/delete", {"experiment_id": s["exp"]}),
    ]


def _status(world: AuthWorld, user: str, call: tuple[str, str, dict[str, object]]) -> int:
    method, path, body = call
    if method == "PUT":
        return world.status(user, method, path, content=b"x")
    return world.status(user, method, path, body)


@pytest.mark.parametrize("user,can_read,can_edit", [
    ("nobody", False, False), ("reader", True, False), ("editor", True, True), ("manager", True, True),
])
def test_read_and_edit_levels(world: AuthWorld, setup: dict[str, str], user: str, can_read: bool,
                              can_edit: bool) -> None:
    for call in _read_calls(setup):
        assert _status(world, user, call) == (200 if can_read else 403), call
    for call in _edit_calls(setup):
        assert _status(world, user, call) == (200 if can_edit else 403), call
    upload = f"{PROXY}/{setup['exp']}/{setup['run']}/artifacts/new.txt"
    assert world.status(user, "PUT", upload, content=b"n") == (200 if can_edit else 403)
    # bundles: the same rules as one PUT (upload) and one GET (download)
    bundle = f"{BUNDLE}/{setup['exp']}/{setup['run']}/artifacts"
    assert world.status(user, "POST", bundle, content=_tar(), headers={"Content-Type": "application/x-tar"}) == (
        200 if can_edit else 403)
    assert world.status(user, "GET", bundle) == (200 if can_read else 403)
    assert world.status(user, "GET", f"{BUNDLE}/{setup['exp']}") == (200 if can_read else 403)


def _tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo("bundled.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"b"))
    return out.getvalue()


@pytest.mark.parametrize("user", ["reader", "editor"])
def test_only_manage_deletes(world: AuthWorld, setup: dict[str, str], user: str) -> None:
    """CVE-2024-4263: EDIT must not delete artifacts (nor runs, models, experiments)."""
    for call in _manage_calls(setup):
        assert _status(world, user, call) == 403, call
    assert world.status("admin", "GET", f"{PROXY}/{setup['exp']}/{setup['run']}/artifacts/a.txt") == 200


def test_manage_deletes(world: AuthWorld, setup: dict[str, str]) -> None:
    for call in _manage_calls(setup):
        assert _status(world, "manager", call) == 200, call


def test_read_cannot_log(world: AuthWorld, setup: dict[str, str]) -> None:
    body = {"run_id": setup["run"], "key": "m", "value": 1, "timestamp": 1}
    r = world.call("reader", "POST", "runs/log-metric", body)
    assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"
    assert world.ok("admin", "GET", "metrics/get-history", {"run_id": setup["run"], "metric_key": "m"}) == {}


def test_creator_gets_manage(world: AuthWorld) -> None:
    world.user("alice")
    world.user("bob")
    exp = world.experiment("alice", "alices")
    run = world.run("alice", exp)
    got = world.ok("alice", "GET", "experiments/permissions/get", {"experiment_id": exp, "username": "alice"})
    assert got["experiment_permission"]["permission"] == "MANAGE"
    assert world.status("bob", "GET", "runs/get", {"run_id": run}) == 403
    world.ok("alice", "POST", "experiments/permissions/create",
             {"experiment_id": exp, "username": "bob", "permission": "READ"})
    assert world.status("bob", "GET", "runs/get", {"run_id": run}) == 200
    assert world.status("bob", "POST", "runs/delete", {"run_id": run}) == 403
    assert world.status("alice", "POST", "runs/delete", {"run_id": run}) == 200


def test_existing_name_does_not_grant(world: AuthWorld) -> None:
    world.experiment("admin", "taken")
    world.user("mallory")
    assert world.call("mallory", "POST", "experiments/create", {"name": "taken"}).status_code == 400
    exp = world.ok("admin", "GET", "experiments/get-by-name", {"experiment_name": "taken"})["experiment"]
    assert world.status("mallory", "GET", "experiments/get", {"experiment_id": exp["experiment_id"]}) == 403


def test_no_self_promotion(world: AuthWorld, setup: dict[str, str]) -> None:
    for user in ("reader", "editor"):
        for path, method in (("experiments/permissions/create", "POST"), ("experiments/permissions/update", "PATCH")):
            r = world.call(user, method, path, {"experiment_id": setup["exp"], "username": user,
                                                "permission": "MANAGE"})
            assert r.status_code == 403, r.text
        r = world.call(user, "POST", "/api/3.0/mlflow/users/permissions/grant",
                       {"username": user, "resource_type": "experiment", "resource_id": setup["exp"],
                        "permission": "MANAGE"})
        assert r.status_code == 403
        assert world.status(user, "PATCH", "users/update-admin", {"username": user, "is_admin": True}) == 403
    got = world.ok("admin", "GET", "experiments/permissions/get", {"experiment_id": setup["exp"],
                                                                   "username": "editor"})
    assert got["experiment_permission"]["permission"] == "EDIT"


def test_admin_bypass_and_user_admin(world: AuthWorld, setup: dict[str, str]) -> None:
    world.user("root2", admin=True)
    for call in _read_calls(setup) + _edit_calls(setup):
        assert _status(world, "root2", call) == 200, call
    assert world.ok("root2", "GET", "users/get", {"username": "reader"})["user"] == \
        {"id": world.ok("admin", "GET", "users/get", {"username": "reader"})["user"]["id"],
         "username": "reader", "is_admin": False}
    assert world.status("reader", "GET", "users/get", {"username": "editor"}) == 403
    assert world.status("reader", "GET", "users/get", {"username": "reader"}) == 200
    assert world.status("reader", "POST", "users/create", {"username": "x", "password": "x" * 12}) == 403
    assert world.status("admin", "POST", "users/create", {"username": "x", "password": "short"}) == 400
    assert world.status("admin", "DELETE", "users/delete", {"username": "root2"}) == 200


def test_search_is_filtered_before_paging(world: AuthWorld) -> None:
    world.user("alice")
    mine = [world.experiment("alice", f"a{i}") for i in range(5)]
    others = [world.experiment("admin", f"z{i}") for i in range(5)]
    world.grant("alice", others[0], "READ")
    world.grant("alice", others[1], "NO_PERMISSIONS")
    seen: list[str] = []
    token = None
    while True:
        body: dict[str, object] = {"max_results": 2, "filter": "name LIKE '%'"}
        if token:
            body["page_token"] = token
        page = world.ok("alice", "POST", "experiments/search", body)
        assert len(page.get("experiments", [])) <= 2
        seen += [e["experiment_id"] for e in page.get("experiments", [])]
        token = page.get("next_page_token")
        if not token:
            break
    assert sorted(seen) == sorted([*mine, others[0]])
    # an unbalanced filter cannot escape the restriction
    bad = world.call("alice", "POST", "experiments/search", {"filter": "name = 'a0') OR (name LIKE '%'"})
    assert bad.status_code == 400
    runs = {world.run("admin", e): e for e in (mine[0], others[0], others[2])}
    found = world.ok("alice", "POST", "runs/search", {"experiment_ids": [mine[0], others[0], others[2]]})
    assert {r["info"]["experiment_id"] for r in found["runs"]} == {mine[0], others[0]}
    assert len(found["runs"]) == 2 and len(runs) == 3
    assert world.ok("alice", "POST", "runs/search", {"experiment_ids": [others[2]]}) == {}
    world.ok("admin", "POST", "logged-models", {"experiment_id": others[2]})
    world.ok("admin", "POST", "logged-models", {"experiment_id": mine[0]})
    models = world.ok("alice", "POST", "logged-models/search", {"experiment_ids": [mine[0], others[2]]})
    assert [m["info"]["experiment_id"] for m in models["models"]] == [mine[0]]


def test_default_permission_read(tmp_path: object, auth_template_db: object) -> None:
    from pathlib import Path

    from tests.auth.helpers import make_world

    from tracklog.store.registry import get_store

    assert isinstance(tmp_path, Path) and isinstance(auth_template_db, Path)
    gen = make_world(tmp_path, auth_template_db, get_store, auth=True, auth_default_permission="READ")
    world = next(gen)
    try:
        world.user("viewer")
        a, b = world.experiment("admin", "a"), world.experiment("admin", "b")
        world.grant("viewer", b, "NO_PERMISSIONS")
        assert world.status("viewer", "GET", "experiments/get", {"experiment_id": a}) == 200
        assert world.status("viewer", "GET", "experiments/get", {"experiment_id": b}) == 403
        assert world.status("viewer", "POST", "experiments/set-experiment-tag",
                            {"experiment_id": a, "key": "k", "value": "v"}) == 403
        ids = {e["experiment_id"] for e in world.ok("viewer", "GET", "experiments/search", {})["experiments"]}
        assert ids == {"0", a}
    finally:
        gen.close()


def test_artifact_listing_cannot_name_two_paths(world: AuthWorld, setup: dict[str, str]) -> None:
    world.user("alice")
    mine = world.experiment("alice", "mine")
    r = world.call("alice", "GET", PROXY, params={"path": setup["exp"], "artifact_path": mine})
    assert r.status_code == 403
    assert world.status("alice", "GET", PROXY, params={"path": mine}) == 200
    assert world.status("alice", "GET", PROXY, params={}) == 403  # the root: admins only
    assert world.status("admin", "GET", PROXY, params={}) == 200


def test_non_admins_keep_the_default_artifact_location(world: AuthWorld, setup: dict[str, str]) -> None:
    world.user("alice")
    body = {"name": "sneaky", "artifact_location": f"mlflow-artifacts:/{setup['exp']}"}
    assert world.status("alice", "POST", "experiments/create", body) == 403
    assert world.status("admin", "POST", "experiments/create", body) == 200


def test_artifact_paths_name_experiments_in_ascii_digits_only(world: AuthWorld, setup: dict[str, str]) -> None:
    """str.isdigit() is true for '²' (int() then fails: a 500) and for Arabic-Indic digits (int('١') == 1:
    an EDIT grant on experiment 1 wrote into a '١/' directory no experiment owns)."""
    other = "".join(chr(0x0660 + int(c)) for c in setup["exp"])  # the same number in Arabic-Indic digits
    for head in ("²", other):
        for method, route in (("PUT", f"{PROXY}/{head}/x.txt"), ("POST", f"{BUNDLE}/{head}")):
            headers = {"Content-Type": "application/x-tar"} if method == "POST" else None
            status = world.status("editor", method, route, content=_tar(), headers=headers)
            assert status == 403, (head, method, status)
