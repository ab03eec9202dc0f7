"""``tracklog users|permissions|tokens`` on the database, and the auth store on every SQL backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tracklog.auth.service import make_service
from tracklog.cli.main import cli
from tracklog.exceptions import AlreadyExists, InvalidArgument, NotFound, Unauthenticated
from tracklog.store.registry import get_store


def test_cli_commands(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 't.db'}"
    store = get_store(uri, str(tmp_path / "art"))
    exp = store.create_experiment("cli-exp")
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> str:
        result = runner.invoke(cli, [*args, "--backend-store-uri", uri], input=stdin)
        assert result.exit_code == 0, result.output
        return result.output

    assert "admin" in run("users", "create", "--admin", "root", "--password-stdin", stdin="root-password-1\n")
    bad = runner.invoke(cli, ["users", "create", "x", "--password-stdin", "--backend-store-uri", uri],
                        input="short\n")
    assert bad.exit_code != 0 and "12 characters" in bad.output
    run("users", "create", "alice", "--password-stdin", stdin="alice-password-1\n")
    assert "alice" in run("users", "list")
    run("permissions", "grant", "alice", exp, "edit")
    assert run("permissions", "list", "--user", "alice").split() == [exp, "EDIT"]
    assert run("permissions", "list", "--experiment", exp).split() == ["alice", "EDIT"]
    result = runner.invoke(cli, ["tokens", "create", "alice", "--name", "ci", "--expires-in-days", "7",
                                 "--backend-store-uri", uri])
    assert result.exit_code == 0
    token = result.stdout.strip().splitlines()[-1]
    service = make_service(uri)
    assert token.startswith("tl_")
    principal = service.authenticate(f"Bearer {token}", None, "127.0.0.1")
    assert principal is not None and principal.username == "alice"
    listed = run("tokens", "list", "alice")
    assert "ci" in listed and token not in listed
    run("tokens", "revoke", "alice", listed.split()[0])
    with pytest.raises(Unauthenticated):
        service.authenticate(f"Bearer {token}", None, "127.0.0.1")
    run("users", "groups", "create", "team")
    run("users", "groups", "add-member", "team", "alice")
    run("users", "groups", "grant", "team", exp, "manage")
    assert run("users", "groups", "list").split() == ["1", "team", "alice"]
    assert run("users", "groups", "permissions", exp).split() == ["team", "MANAGE"]
    alice = service.authenticate(_basic("alice", "alice-password-1"), None, "127.0.0.1")
    assert alice is not None and service.level(alice, int(exp)).name == "MANAGE"
    run("users", "groups", "revoke", "team", exp)
    assert service.level(alice, int(exp)).name == "EDIT"
    run("users", "groups", "remove-member", "team", "alice")
    run("users", "groups", "delete", "team")
    assert run("users", "groups", "list") == ""
    run("users", "set-password", "alice", "--password-stdin", stdin="alice-password-2\n")
    assert service.check_password("alice", "alice-password-2")
    run("users", "set-admin", "alice", "true")
    run("permissions", "revoke", "alice", exp)
    run("users", "delete", "alice")
    assert "alice" not in run("users", "list")
    store.close()


def test_auth_store_on_each_backend(database_uri: str) -> None:
    store = get_store(database_uri, "mlflow-artifacts:/")
    try:
        service = make_service(database_uri)
        suffix = Path(database_uri).name[-6:].replace("/", "_")
        name = f"dbuser_{suffix}"
        user = service.create_user(name, "database-password-1")
        with pytest.raises(AlreadyExists):
            service.create_user(name, "database-password-1")
        with pytest.raises(InvalidArgument):
            service.create_user(f"{name}:x", "database-password-1")
        exp = int(store.create_experiment(f"auth-exp-{suffix}"))
        service.store.set_experiment_permission(exp, user.user_id, "EDIT")
        with pytest.raises(AlreadyExists):
            service.store.set_experiment_permission(exp, user.user_id, "READ", must_exist=False)
        assert service.store.user_permissions(user.user_id) == {exp: "EDIT"}
        principal = service.authenticate(_basic(name, "database-password-1"), None, "127.0.0.1")
        assert principal is not None and service.level(principal, exp).name == "EDIT"
        # groups raise a member above its own grant; sessions live until the password changes
        group = f"dbgroup_{suffix}"
        service.store.groups.create(group)
        with pytest.raises(AlreadyExists):
            service.store.groups.create(group)
        service.store.groups.add_member(group, user.user_id)
        service.store.groups.add_member(group, user.user_id)  # idempotent
        service.store.groups.set_permission(exp, group, "MANAGE")
        assert service.level(principal, exp).name == "MANAGE"
        assert service.readable(principal).allows(exp)
        assert service.store.groups.experiment_permissions(exp) == [(group, "MANAGE")]
        service.store.groups.delete_permission(exp, group)
        assert service.level(principal, exp).name == "EDIT"
        secret, _ = service.login(name, "database-password-1", "127.0.0.1")
        assert service.session_principal(secret) is not None
        service.set_password(name, "database-password-2")
        assert service.session_principal(secret) is None
        with pytest.raises(Unauthenticated):
            service.authenticate(_basic(name, "database-password-1"), None, "127.0.0.1")
        service.login(name, "database-password-2", "127.0.0.1")
        service.store.delete_user(name)
        assert service.store.groups.get(group).members == ()
        service.store.groups.delete(group)
        with pytest.raises(NotFound):
            service.store.require_user(name)
    finally:
        store.close()


def _basic(username: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_existing_database_is_upgraded(tmp_path: Path) -> None:
    """A database created before auth existed (revision 0001) gains the auth tables on start."""
    from alembic import command
    from sqlalchemy import inspect

    from tracklog.store.sql.engine import dispose_engine, get_engine
    from tracklog.store.sql.migrate import _config, head_revision

    uri = f"sqlite:///{tmp_path / 'old.db'}"
    get_store(uri, str(tmp_path)).close()
    cfg = _config()
    with get_engine(uri).connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
        conn.commit()
        assert "auth_users" not in inspect(conn).get_table_names()
    dispose_engine(uri)
    from tracklog.store.sql import store as sql_store

    sql_store._ready.clear()
    service = make_service(uri)
    service.create_user("late", "late-password-1")
    with get_engine(uri).connect() as conn:
        assert {"auth_users", "auth_tokens", "auth_experiment_permissions", "auth_sessions", "auth_groups",
                "auth_group_members", "auth_group_experiment_permissions"} <= set(inspect(conn).get_table_names())
    assert head_revision() >= "0003"


def test_warns_when_open_on_the_network(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from tracklog.artifacts.local import LocalArtifactRepository
    from tracklog.server import Settings, create_app

    (tmp_path / "a").mkdir()
    settings = Settings(host="0.0.0.0", backend_store_uri=f"sqlite:///{tmp_path / 't.db'}",
                        artifacts_destination=(tmp_path / "a").as_uri()).resolved(tmp_path)
    assert settings.backend_store_uri and settings.default_artifact_root
    store = get_store(settings.backend_store_uri, settings.default_artifact_root)
    with caplog.at_level("WARNING", logger="tracklog.server"):
        create_app(settings, store, LocalArtifactRepository((tmp_path / "a").as_uri()))
        assert "authentication is OFF" in caplog.text
        caplog.clear()
        create_app(Settings(host="127.0.0.1").resolved(tmp_path), store,
                   LocalArtifactRepository((tmp_path / "a").as_uri()))
        assert "authentication is OFF" not in caplog.text
    store.close()
