"""Schemathesis over the generated OpenAPI document: no generated request may cause a 5xx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.server.conftest import make_store

from tracklog.artifacts.local import LocalArtifactRepository
from tracklog.server import Settings, create_app

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@pytest.mark.slow
def test_generated_requests_never_cause_server_errors(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    db = f"sqlite:///{tmp_path / 'fuzz.db'}"
    cfg = Settings(backend_store_uri=db, artifacts_destination=dest.as_uri(),
                   allowed_hosts=("testserver", "localhost")).resolved(tmp_path)
    store = make_store(db, "mlflow-artifacts:/")
    app = create_app(cfg, store, LocalArtifactRepository(dest.as_uri()))
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations
    for operation in operations:
        _fuzz(operation.as_strategy(), operation.label, failures)
    store.close()
    assert not failures, "\n".join(sorted(set(failures)))


def _fuzz(strategy: Any, label: str, failures: list[str]) -> None:
    @given(data=st.data())
    @settings(max_examples=6, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(data: Any) -> None:
        case = data.draw(strategy)
        response = case.call()
        if response.status_code >= 500 and response.status_code != 501:  # 501 = "no multipart", by design
            failures.append(f"{label}: {response.status_code} {response.text[:200]}")

    check()
