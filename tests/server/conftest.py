"""Fixtures for the in-process REST tests: a fresh SqlStore and artifact root per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from starlette.testclient import TestClient
from tests.server.helpers import BASE_URL, Api

from tracklog.artifacts.local import LocalArtifactRepository
from tracklog.server import Settings, create_app
from tracklog.store.base import TrackingStore


def make_store(db_uri: str, artifact_root: str) -> TrackingStore:
    from tracklog.store.registry import get_store

    return get_store(db_uri, artifact_root)


@pytest.fixture
def destination(tmp_path: Path) -> Path:
    path = tmp_path / "artifacts"
    path.mkdir()
    return path


@pytest.fixture
def settings(tmp_path: Path, destination: Path) -> Settings:
    return Settings(backend_store_uri=f"sqlite:///{tmp_path / 'tracking.db'}",
                    artifacts_destination=destination.as_uri()).resolved(tmp_path)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated empty SQLite database, copied for each test (migrating takes ~1 s)."""
    path = tmp_path_factory.mktemp("template") / "tracking.db"
    make_store(f"sqlite:///{path}", "mlflow-artifacts:/").close()
    return path


@pytest.fixture
def store(settings: Settings, template_db: Path) -> Iterator[TrackingStore]:
    assert settings.backend_store_uri and settings.default_artifact_root
    if settings.default_artifact_root == "mlflow-artifacts:/":
        shutil.copyfile(template_db, settings.backend_store_uri[len("sqlite:///"):])
    s = make_store(settings.backend_store_uri, settings.default_artifact_root)
    yield s
    s.close()


@pytest.fixture
def client(settings: Settings, store: TrackingStore, destination: Path) -> Iterator[TestClient]:
    app = create_app(settings, store, LocalArtifactRepository(destination.as_uri()))
    with TestClient(app, base_url=BASE_URL) as c:
        yield c


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


@pytest.fixture
def stub_store() -> mock.Mock:
    """For middleware tests that must never reach the store."""
    return mock.Mock(spec=TrackingStore)


@pytest.fixture
def stub_client(settings: Settings, stub_store: mock.Mock, destination: Path) -> Iterator[TestClient]:
    app = create_app(settings, stub_store, LocalArtifactRepository(destination.as_uri()))
    with TestClient(app, base_url=BASE_URL, raise_server_exceptions=False) as c:
        yield c
