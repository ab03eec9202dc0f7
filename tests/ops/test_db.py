"""Schema revisions: ``tracklog db upgrade|current|check`` and a server that refuses a schema ahead of it.

Each test makes its own throw-away database (never the session ones: changing their revision
would break the other tests of the worker).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import insert, text
from tests.conftest import MY_SERVER, PG_SERVER, _make_database

from tracklog.cli.main import cli
from tracklog.store.sql import migrate, schema
from tracklog.store.sql.engine import dispose_engine, get_engine
from tracklog.store.sql.migrate import VERSION_TABLE, head_revision

FUTURE = "9999_from_a_newer_tracklog"


@pytest.fixture
def fresh_uri(sql_backend: str, tmp_path: Path) -> Iterator[str]:
    if sql_backend == "sqlite":
        uri = f"sqlite:///{tmp_path / 'fresh.db'}"
        yield uri
        dispose_engine(uri)
        return
    server = PG_SERVER if sql_backend == "postgresql" else MY_SERVER
    for uri in _make_database(server, "test", sql_backend):
        yield uri
        dispose_engine(uri)


def _migrate_to(uri: str, revision: str) -> None:
    from alembic import command

    engine = get_engine(uri)
    with engine.connect() as conn:
        cfg = migrate._config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()


def _set_revision(uri: str, revision: str) -> None:
    with get_engine(uri).begin() as conn:
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = :r"), {"r": revision})


def _db(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["db", *args])
    return result.exit_code, result.output


def test_upgrade_from_an_older_revision_keeps_data(fresh_uri: str) -> None:
    _migrate_to(fresh_uri, "0001")
    with get_engine(fresh_uri).begin() as conn:
        conn.execute(insert(schema.experiments).values(experiment_id=7, name="kept", artifact_location="x",
                                                       lifecycle_stage="active"))
    code, out = _db("current", fresh_uri)
    assert code == 0 and "revision 0001, older than this tracklog" in out
    code, out = _db("check", fresh_uri)
    assert code == 1 and "tracklog db upgrade" in out
    code, out = _db("upgrade", fresh_uri, "--json")
    assert code == 0 and '"previous_revision": "0001"' in out
    code, out = _db("check", fresh_uri, "--json")
    assert code == 0 and '"state": "current"' in out and head_revision() in out
    with get_engine(fresh_uri).connect() as conn:
        assert conn.execute(text("SELECT name FROM experiments WHERE experiment_id = 7")).scalar() == "kept"
    assert _db("upgrade", fresh_uri)[0] == 0  # idempotent


def test_server_refuses_a_schema_ahead_of_the_code(fresh_uri: str, monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    _migrate_to(fresh_uri, "head")
    _set_revision(fresh_uri, FUTURE)
    code, out = _db("check", fresh_uri)
    assert code == 1 and "newer tracklog" in out
    code, out = _db("current", fresh_uri, "--json")
    assert code == 0 and '"state": "ahead"' in out
    code, out = _db("upgrade", fresh_uri)
    assert code == 1 and "newer tracklog" in out  # never "downgraded" or re-stamped

    import uvicorn

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the server must not start on a schema it does not know")

    monkeypatch.setattr(uvicorn, "run", never)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["server", "--backend-store-uri", fresh_uri, "--port", "1"])
    assert result.exit_code == 1, result.output
    assert "newer tracklog" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("sql_backend", ["postgresql"], indirect=True)
def test_server_refuses_an_outdated_server_database(fresh_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL/MySQL are never migrated behind the operator's back: the server says what to run."""
    _migrate_to(fresh_uri, "0001")
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("started"))
    result = CliRunner().invoke(cli, ["server", "--backend-store-uri", fresh_uri, "--port", "1"])
    assert result.exit_code == 1 and "tracklog db upgrade" in result.output, result.output


def test_refusal_from_a_real_process(tmp_path: Path) -> None:
    """The process a service manager starts: one clear line on stderr and a non-zero exit."""
    uri = f"sqlite:///{tmp_path / 'ahead.db'}"
    _migrate_to(uri, "head")
    _set_revision(uri, FUTURE)
    dispose_engine(uri)
    env = {**os.environ, "TRACKLOG_BACKEND_STORE_URI": uri}
    proc = subprocess.run([sys.executable, "-m", "tracklog.cli.main", "server", "--port", "1"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "Error:" in proc.stderr and "newer tracklog" in proc.stderr and "Traceback" not in proc.stderr


def test_current_on_an_empty_database(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'empty.db'}"
    code, out = _db("current", uri)
    assert code == 0 and "no tracklog schema yet" in out
    assert _db("check", uri)[0] == 1
    assert _db("check", "http://127.0.0.1:1")[0] == 1


def test_rollup_revisions_go_down_and_up_again(fresh_uri: str) -> None:
    """0004/0005 (chart roll-up cache tables): upgrade over a roll-up state, downgrade, upgrade again."""
    from alembic import command

    _migrate_to(fresh_uri, "0004")
    with get_engine(fresh_uri).begin() as conn:
        conn.execute(insert(schema.experiments).values(experiment_id=7, name="kept", artifact_location="x",
                                                       lifecycle_stage="active"))
        conn.execute(text("INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, lifecycle_stage, "
                          "artifact_uri) VALUES ('r1', 'r', 7, '', 'RUNNING', 'active', 'x')"))
        conn.execute(text("INSERT INTO metric_rollup_state VALUES ('r1', 'm', 4, 3, NULL)"))
    _migrate_to(fresh_uri, "head")
    with get_engine(fresh_uri).connect() as conn:
        assert conn.execute(text("SELECT dirty_from FROM metric_rollup_state")).scalar() == -(2**63)
    engine = get_engine(fresh_uri)
    for target in ("0003", "head"):
        with engine.connect() as conn:
            cfg = migrate._config()
            cfg.attributes["connection"] = conn
            (command.downgrade if target == "0003" else command.upgrade)(cfg, target)
            conn.commit()
    code, out = _db("check", fresh_uri, "--json")
    assert code == 0 and '"state": "current"' in out
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM metric_rollups")).scalar() == 0
