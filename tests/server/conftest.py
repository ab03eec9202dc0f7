"""Fixtures for the in-process REST tests: a fresh SqlStore and artifact root per test."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from starlette.testclient import TestClient

from tracklog.artifacts.local import LocalArtifactRepository
from tracklog.server import Settings, create_app
from tracklog.store.base import TrackingStore

API = "/api/2.0/mlflow"
BASE_URL = "http://localhost:5000"


class Api:
    """A thin JSON helper over TestClient for the tracking endpoints."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def get(self, path: str, params: Any = None, status: int = 200) -> Any:
        r = self.client.get(f"{API}/{path}", params=params)
        assert r.status_code == status, r.text
        return r.json()

    def post(self, path: str, body: Any = None, status: int = 200, method: str = "POST") -> Any:
        r = self.client.request(method, f"{API}/{path}", json=body if body is not None else {})
        assert r.status_code == status, r.text
        return r.json()

    def error(self, method: str, path: str, body: Any = None, status: int = 400,
              code: str = "INVALID_PARAMETER_VALUE") -> str:
        if method == "GET":
            r = self.client.get(f"{API}/{path}", params=body)
        else:
            r = self.client.request(method, f"{API}/{path}", json=body if body is not None else {})
        assert r.status_code == status, r.text
        payload = r.json()
        assert payload["error_code"] == code, payload
        assert set(payload) >= {"error_code", "message"}
        return str(payload["message"])

    # -- shortcuts -------------------------------------------------------------
    def experiment(self, name: str = "exp", **extra: Any) -> str:
        return str(self.post("experiments/create", {"name": name, **extra})["experiment_id"])

    def run(self, experiment_id: str, **extra: Any) -> dict[str, Any]:
        body = {"experiment_id": experiment_id, "user_id": "me",
                "start_time": int(time.time() * 1000), **extra}
        return dict(self.post("runs/create", body)["run"])


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


@pytest.fixture
def store(settings: Settings) -> Iterator[TrackingStore]:
    assert settings.backend_store_uri and settings.default_artifact_root
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
