"""Tracking URI precedence and what each kind of URI resolves to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tracklog.client import uri
from tracklog.exceptions import InvalidArgument

ENV_VARS = (*uri.TRACKING_URI_ENV_VARS, *uri.ARTIFACT_ROOT_ENV_VARS)


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    uri.set_tracking_uri(None)
    yield
    uri.set_tracking_uri(None)


def test_default_is_mlruns_of_the_current_directory(tmp_path: Path) -> None:
    assert uri.get_tracking_uri() == (tmp_path / "mlruns").resolve().as_uri()
    assert not uri.is_tracking_uri_set()
    target = uri.resolve()
    assert target.kind == "embedded"
    assert target.store_uri == "sqlite:///" + str((tmp_path / "mlruns" / "tracklog.db").resolve())
    assert target.artifact_root == str((tmp_path / "mlruns" / "artifacts").resolve())


def test_default_follows_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.chdir(other)
    assert uri.get_tracking_uri() == (other / "mlruns").resolve().as_uri()


def test_precedence_explicit_then_tracklog_env_then_mlflow_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow-env:5000")
    assert uri.get_tracking_uri() == "http://mlflow-env:5000"
    monkeypatch.setenv("TRACKLOG_TRACKING_URI", "http://tracklog-env:5000")
    assert uri.get_tracking_uri() == "http://tracklog-env:5000"
    uri.set_tracking_uri("http://explicit:5000")
    assert uri.get_tracking_uri() == "http://explicit:5000"
    assert uri.is_tracking_uri_set()
    uri.set_tracking_uri(None)
    assert uri.get_tracking_uri() == "http://tracklog-env:5000"


def test_empty_env_var_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKLOG_TRACKING_URI", "  ")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow-env:5000")
    assert uri.get_tracking_uri() == "http://mlflow-env:5000"


@pytest.mark.parametrize("spelling", ["store", "./store", "file:store", "file:./store"])
def test_relative_paths_become_absolute_embedded_folders(tmp_path: Path, spelling: str) -> None:
    uri.set_tracking_uri(spelling)
    folder = (tmp_path / "store").resolve()
    assert uri.get_tracking_uri() == folder.as_uri()
    target = uri.resolve()
    assert target.kind == "embedded"
    assert target.store_uri == f"sqlite:///{folder}/tracklog.db"
    assert target.artifact_root == f"{folder}/artifacts"


def test_absolute_file_uri_and_path_agree(tmp_path: Path) -> None:
    folder = (tmp_path / "abs dir").resolve()
    assert uri.resolve(folder.as_uri()) == uri.resolve(str(folder))
    assert uri.resolve(folder).artifact_root == str(folder / "artifacts")


def test_set_relative_path_is_pinned_when_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uri.set_tracking_uri("pinned")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert uri.get_tracking_uri() == (tmp_path / "pinned").resolve().as_uri()


@pytest.mark.parametrize(
    "db_uri",
    [
        "sqlite:////tmp/x/tracking.db",
        "postgresql://u:p@db/tracklog",
        "postgresql+psycopg://u@db/tracklog",
        "mysql+pymysql://root@db/tracklog",
    ],
)
def test_database_uris_go_to_the_sql_store(db_uri: str, tmp_path: Path) -> None:
    target = uri.resolve(db_uri)
    assert target.kind == "sql"
    assert target.store_uri == db_uri
    assert target.artifact_root == str(tmp_path.resolve() / "mlruns" / "artifacts")


def test_database_artifact_root_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_DEFAULT_ARTIFACT_ROOT", "s3://mlflow-bucket/root")
    assert uri.resolve("sqlite:///x.db").artifact_root == "s3://mlflow-bucket/root"
    monkeypatch.setenv("TRACKLOG_DEFAULT_ARTIFACT_ROOT", "s3://tracklog-bucket/root")
    assert uri.resolve("sqlite:///x.db").artifact_root == "s3://tracklog-bucket/root"


@pytest.mark.parametrize("server", ["http://localhost:5000", "https://tracking.example.com/prefix/"])
def test_http_goes_to_the_rest_store(server: str) -> None:
    target = uri.resolve(server)
    assert target.kind == "rest"
    assert target.store_uri == server.rstrip("/")
    assert target.artifact_root is None


def test_unknown_scheme_is_left_to_the_store_registry() -> None:
    assert uri.resolve("databricks://profile").kind == "other"


def test_bad_uris_are_invalid_arguments() -> None:
    with pytest.raises(InvalidArgument):
        uri.set_tracking_uri("")
    with pytest.raises(InvalidArgument):
        uri.resolve("file://remote-host/share")
