"""Scheme -> repository factory registry."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

import tracklog.artifacts
from tracklog.artifacts import registry
from tracklog.artifacts.base import ArtifactRepository
from tracklog.artifacts.local import LocalArtifactRepository
from tracklog.artifacts.registry import get_repository, known_schemes, register_scheme, unregister_scheme
from tracklog.exceptions import InvalidArgument, MissingExtra, TrackingError


class FakeRepo(LocalArtifactRepository):
    def __init__(self, root_uri: str, tracking_uri: str | None = None) -> None:
        super().__init__("/nonexistent-fake-root")
        self.root_uri = root_uri
        self.tracking_uri = tracking_uri


class KwargsRepo(LocalArtifactRepository):
    def __init__(self, root_uri: str, **context: Any) -> None:
        super().__init__("/nonexistent-fake-root")
        self.context = context


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    saved_registered = dict(registry._registered)
    saved_plugins = registry._plugins
    yield
    registry._registered.clear()
    registry._registered.update(saved_registered)
    registry._plugins = saved_plugins


def test_local_paths_and_file_uris(tmp_path: Path) -> None:
    assert isinstance(get_repository(str(tmp_path)), LocalArtifactRepository)
    assert isinstance(get_repository(tmp_path.as_uri()), LocalArtifactRepository)
    assert isinstance(get_repository("FILE://" + str(tmp_path)), LocalArtifactRepository)


def test_known_schemes() -> None:
    assert set(known_schemes()) >= {"", "file", "s3", "gs", "wasbs", "abfss", "az", "mlflow-artifacts", "http", "https"}


def test_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        get_repository("ftp://host/x")
    message = excinfo.value.message
    assert "'ftp'" in message
    for scheme in ("'s3'", "'gs'", "'file'", "'mlflow-artifacts'"):
        assert scheme in message
    assert "'s3' (pip install 'tracklog[s3]')" in message


@pytest.mark.parametrize(
    ("uri", "extra"),
    [
        ("s3://b/p", "s3"),
        ("gs://b/p", "gcs"),
        ("wasbs://c@a.blob.core.windows.net/p", "azure"),
        ("abfss://c@a.dfs.core.windows.net/p", "azure"),
        ("az://c/p", "azure"),
    ],
)
def test_missing_cloud_module_names_the_extra(monkeypatch: pytest.MonkeyPatch, uri: str, extra: str) -> None:
    real_import = importlib.import_module

    def fake_import(name: str, package: str | None = None) -> types.ModuleType:
        if name.startswith("tracklog.artifacts.") and name.rsplit(".", 1)[1] in ("s3", "gcs", "azure"):
            raise ModuleNotFoundError(f"No module named 's3fs' (needed by {name})")
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", fake_import)
    with pytest.raises(MissingExtra) as excinfo:
        get_repository(uri)
    assert f"pip install 'tracklog[{extra}]'" in excinfo.value.message
    assert excinfo.value.extra == extra


def test_missing_core_module_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    register_scheme("broken", "tracklog.artifacts.does_not_exist:Repo")
    with pytest.raises(TrackingError, match="scheme 'broken' is unavailable"):
        get_repository("broken://x")


def test_context_reaches_factories_that_accept_it() -> None:
    register_scheme("fake", FakeRepo)
    repo = get_repository("fake://x", tracking_uri="http://server:5000", unrelated=1)
    assert isinstance(repo, FakeRepo)
    assert repo.tracking_uri == "http://server:5000"
    register_scheme("kw", KwargsRepo)
    kw = get_repository("kw://x", tracking_uri="t", other=2)
    assert isinstance(kw, KwargsRepo)
    assert kw.context == {"tracking_uri": "t", "other": 2}


def test_local_factory_ignores_context(tmp_path: Path) -> None:
    repo = get_repository(str(tmp_path), tracking_uri="http://server:5000")
    assert isinstance(repo, LocalArtifactRepository)


def test_http_schemes_use_the_http_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("tracklog.artifacts.http")
    module.HttpArtifactRepository = FakeRepo  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tracklog.artifacts.http", module)
    for uri in ("mlflow-artifacts:/1/abc", "http://h/x", "https://h/x"):
        repo = get_repository(uri, tracking_uri="http://tracking")
        assert isinstance(repo, FakeRepo)
        assert (repo.root_uri, repo.tracking_uri) == (uri, "http://tracking")


def test_register_scheme_rules() -> None:
    register_scheme("Mine", FakeRepo)
    assert "mine" in known_schemes()
    assert isinstance(get_repository("MINE://x"), FakeRepo)
    with pytest.raises(ValueError):
        register_scheme("mine", KwargsRepo)
    with pytest.raises(ValueError):
        register_scheme("s3", KwargsRepo)
    register_scheme("s3", KwargsRepo, replace=True)
    assert isinstance(get_repository("s3://b/x"), KwargsRepo)
    unregister_scheme("s3")
    unregister_scheme("mine")
    assert "mine" not in known_schemes()


def test_lazy_string_factories(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("fake_tracklog_plugin")
    module.Repo = FakeRepo  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_tracklog_plugin", module)
    register_scheme("lazy", "fake_tracklog_plugin:Repo", extra="lazy")
    assert isinstance(get_repository("lazy://x"), FakeRepo)


def test_entry_points_add_schemes(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("fake_ep_plugin")
    module.Repo = FakeRepo  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_ep_plugin", module)
    eps = [EntryPoint(name="plug", value="fake_ep_plugin:Repo", group=registry.ENTRY_POINT_GROUP)]

    def fake_entry_points(*, group: str) -> list[EntryPoint]:
        assert group == "tracklog.artifact_repositories"
        return eps

    monkeypatch.setattr(registry, "entry_points", fake_entry_points)
    registry._plugins = None
    assert "plug" in known_schemes()
    assert isinstance(get_repository("plug://x"), FakeRepo)


def test_repositories_satisfy_the_abc(tmp_path: Path) -> None:
    assert isinstance(get_repository(str(tmp_path)), ArtifactRepository)


def test_public_api_is_pinned() -> None:
    assert sorted(tracklog.artifacts.__all__) == [
        "ArtifactRepository",
        "LocalArtifactRepository",
        "MultipartUploads",
        "PresignedUrls",
        "append_path",
        "contained",
        "get_repository",
        "is_local_uri",
        "known_schemes",
        "local_path_from_uri",
        "register_scheme",
        "safe_relpath",
        "validate_artifact_location",
    ]
