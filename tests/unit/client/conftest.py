"""A fresh embedded tracking world per test: ./mlruns in tmp_path, no env, no active run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tracklog.client import fluent, uri

ENV_VARS = (
    *uri.TRACKING_URI_ENV_VARS,
    *uri.ARTIFACT_ROOT_ENV_VARS,
    *fluent.EXPERIMENT_ID_ENV_VARS,
    *fluent.EXPERIMENT_NAME_ENV_VARS,
    *fluent.RUN_ID_ENV_VARS,
)


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Chdir into tmp_path so the default tracking URI is tmp_path/mlruns; yields that folder."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    uri.set_tracking_uri(None)
    fluent._reset_state()
    yield tmp_path / "mlruns"
    fluent._reset_state()
    uri.set_tracking_uri(None)
    uri._clear_store_cache()
