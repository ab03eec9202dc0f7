"""Fixtures for the auth tests: an in-process server with ``--auth`` on a fresh SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.auth.helpers import ADMIN, AuthWorld, make_world


@pytest.fixture(scope="session")
def auth_template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the bootstrap admin (scrypt and migrations run once per session)."""
    from tracklog.auth.service import make_service
    from tracklog.store.registry import get_store
    from tracklog.store.sql.engine import dispose_engine

    path = tmp_path_factory.mktemp("auth-template") / "tracking.db"
    get_store(f"sqlite:///{path}", "mlflow-artifacts:/").close()
    make_service(f"sqlite:///{path}").create_user(ADMIN[0], ADMIN[1], is_admin=True)
    dispose_engine(f"sqlite:///{path}")  # checkpoint the WAL into the file that gets copied
    return path


@pytest.fixture
def world(tmp_path: Path, auth_template_db: Path) -> Iterator[AuthWorld]:
    from tracklog.store.registry import get_store

    yield from make_world(tmp_path, auth_template_db, get_store, auth=True)
