"""Groups: membership, group grants on experiments, effective permission = highest grant, search filtering."""

from __future__ import annotations

from typing import Any

from tests.auth.helpers import AuthWorld

GROUPS = "/api/2.0/tracklog/groups"
PERMS = "/api/2.0/tracklog/experiments/permissions"


def _names(world: AuthWorld, user: str) -> set[str]:
    body = world.ok(user, "POST", "experiments/search", {"max_results": 100})
    return {e["name"] for e in body.get("experiments", [])}


def _runs(world: AuthWorld, user: str, experiment_ids: list[str]) -> list[Any]:
    body = world.ok(user, "POST", "runs/search", {"experiment_ids": experiment_ids, "max_results": 100})
    return list(body.get("runs", []))


def test_group_grant_gives_access_and_revocation_removes_it(world: AuthWorld) -> None:
    world.user("carol")
    exp = world.experiment("admin", "team-exp")
    run = world.run("admin", exp)
    world.experiment("admin", "private-exp")
    assert world.status("carol", "GET", "experiments/get", {"experiment_id": exp}) == 403
    assert _names(world, "carol") == set()
    world.ok("admin", "POST", f"{GROUPS}/create", {"name": "vision"})
    world.ok("admin", "POST", f"{GROUPS}/members/add", {"group": "vision", "username": "carol"})
    world.ok("admin", "POST", f"{PERMS}/groups/grant", {"experiment_id": exp, "group": "vision",
                                                         "permission": "READ"})
    assert world.status("carol", "GET", "experiments/get", {"experiment_id": exp}) == 200
    assert _names(world, "carol") == {"team-exp"}  # filtered in the query, not after it
    assert [r["info"]["run_id"] for r in _runs(world, "carol", [exp])] == [run]
    # READ through the group: no logging
    assert world.status("carol", "POST", "runs/log-metric",
                        {"run_id": run, "key": "m", "value": 1, "timestamp": 1}) == 403
    listed = world.ok("admin", "GET", f"{PERMS}/list", {"experiment_id": exp})
    assert listed["groups"] == [{"group": "vision", "permission": "READ"}]
    world.ok("admin", "POST", f"{PERMS}/groups/revoke", {"experiment_id": exp, "group": "vision"})
    assert world.status("carol", "GET", "experiments/get", {"experiment_id": exp}) == 403
    assert _names(world, "carol") == set() and _runs(world, "carol", [exp]) == []


def test_highest_grant_wins_and_membership_matters(world: AuthWorld) -> None:
    world.user("dave")
    exp = world.experiment("admin", "mixed")
    run = world.run("admin", exp)
    world.grant("dave", exp, "READ")
    world.ok("admin", "POST", f"{GROUPS}/create", {"name": "editors"})
    world.ok("admin", "POST", f"{GROUPS}/members/add", {"group": "editors", "username": "dave"})
    world.ok("admin", "POST", f"{PERMS}/groups/grant", {"experiment_id": exp, "group": "editors",
                                                         "permission": "EDIT"})
    metric = {"run_id": run, "key": "m", "value": 1, "timestamp": 1}
    assert world.status("dave", "POST", "runs/log-metric", metric) == 200  # max(READ, EDIT)
    assert world.status("dave", "POST", "runs/delete", {"run_id": run}) == 403  # not MANAGE
    world.ok("admin", "POST", f"{GROUPS}/members/remove", {"group": "editors", "username": "dave"})
    assert world.status("dave", "POST", "runs/log-metric", metric) == 403
    assert world.status("dave", "GET", "runs/get", {"run_id": run}) == 200  # own READ stays
    world.ok("admin", "POST", f"{GROUPS}/members/add", {"group": "editors", "username": "dave"})
    world.ok("admin", "DELETE", f"{GROUPS}/delete", {"name": "editors"})
    assert world.status("dave", "POST", "runs/log-metric", metric) == 403


def test_only_admins_manage_groups_and_only_managers_grant(world: AuthWorld) -> None:
    world.user("erin")
    world.user("frank")
    exp = world.experiment("erin", "erins")  # erin created it: MANAGE
    world.ok("admin", "POST", f"{GROUPS}/create", {"name": "g1"})
    assert world.status("erin", "POST", f"{GROUPS}/create", {"name": "g2"}) == 403
    assert world.status("erin", "POST", f"{GROUPS}/members/add", {"group": "g1", "username": "erin"}) == 403
    assert world.status("erin", "GET", f"{GROUPS}/list") == 403
    # the experiment's manager grants to a group; a mere editor cannot
    world.ok("erin", "POST", f"{PERMS}/groups/grant", {"experiment_id": exp, "group": "g1", "permission": "EDIT"})
    world.grant("frank", exp, "EDIT")
    assert world.status("frank", "POST", f"{PERMS}/groups/grant",
                        {"experiment_id": exp, "group": "g1", "permission": "MANAGE"}) == 403
    assert world.status("frank", "GET", f"{PERMS}/list", {"experiment_id": exp}) == 403
    listed = world.ok("erin", "GET", f"{PERMS}/list", {"experiment_id": exp})
    assert {"username": "frank", "permission": "EDIT"} in listed["users"]
    assert listed["groups"] == [{"group": "g1", "permission": "EDIT"}]
    groups = world.ok("admin", "GET", f"{GROUPS}/list")["groups"]
    assert [g["name"] for g in groups] == ["g1"]
    assert world.status("admin", "POST", f"{PERMS}/groups/grant",
                        {"experiment_id": exp, "group": "nope", "permission": "READ"}) == 404
    assert world.status("admin", "POST", f"{GROUPS}/create", {"name": " bad"}) == 400
