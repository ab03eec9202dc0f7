"""URI helpers: append_path, local paths, and experiment artifact-location validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracklog.artifacts.uri import (
    append_path,
    is_local_uri,
    local_path_from_uri,
    uri_scheme,
    validate_artifact_location,
)
from tracklog.exceptions import InvalidArgument


@pytest.mark.parametrize(
    ("base", "rel", "expected"),
    [
        ("/data/mlruns", "1/abc/artifacts", "/data/mlruns/1/abc/artifacts"),
        ("/data/mlruns/", "x", "/data/mlruns/x"),
        ("/", "x", "/x"),
        ("mlruns", "x/y", "mlruns/x/y"),
        ("file:///data/mlruns", "x", "file:///data/mlruns/x"),
        ("file:///data/mlruns/", "x", "file:///data/mlruns/x"),
        ("file:/data", "x", "file:/data/x"),
        ("file:///", "x", "file:///x"),
        ("s3://bucket", "x/y", "s3://bucket/x/y"),
        ("s3://bucket/", "x", "s3://bucket/x"),
        ("s3://bucket/prefix", "x", "s3://bucket/prefix/x"),
        ("s3://bucket/prefix//", "x", "s3://bucket/prefix/x"),
        ("gs://b/p", "x", "gs://b/p/x"),
        ("wasbs://c@acct.blob.core.windows.net/p", "x", "wasbs://c@acct.blob.core.windows.net/p/x"),
        ("mlflow-artifacts:/1/abc/artifacts", "model", "mlflow-artifacts:/1/abc/artifacts/model"),
        ("mlflow-artifacts://host:5000/1", "m", "mlflow-artifacts://host:5000/1/m"),
        ("mlflow-artifacts:", "m", "mlflow-artifacts:/m"),
        (
            "http://host:5000/api/2.0/mlflow-artifacts/artifacts",
            "a/b",
            "http://host:5000/api/2.0/mlflow-artifacts/artifacts/a/b",
        ),
        ("s3://bucket/prefix", "", "s3://bucket/prefix"),
        ("s3://bucket/prefix", None, "s3://bucket/prefix"),
        ("s3://bucket/prefix", "a/", "s3://bucket/prefix/a"),
    ],
)
def test_append_path(base: str, rel: str | None, expected: str) -> None:
    assert append_path(base, rel) == expected


@pytest.mark.parametrize(
    ("base", "rel"),
    [
        ("s3://b/p", "../x"),
        ("s3://b/p", "%2e%2e/x"),
        ("s3://b/p", "/abs"),
        ("http:///?/../../etc/", "x"),  # CVE-2023-6909: the path must never land after a query
        ("http:///#/../../etc/", "x"),  # CVE-2024-1483
        ("s3://b/p?x=1", "y"),
    ],
)
def test_append_path_refuses(base: str, rel: str) -> None:
    with pytest.raises(InvalidArgument):
        append_path(base, rel)


def test_is_local_uri() -> None:
    assert is_local_uri("/data/x")
    assert is_local_uri("relative/x")
    assert is_local_uri("file:///data/x")
    assert is_local_uri("file://localhost/data/x")
    assert not is_local_uri("file://otherhost/share")
    assert not is_local_uri("//host/share")  # CVE-2023-6977: '//' is not a local path
    assert not is_local_uri("s3://b/x")
    assert not is_local_uri("mlflow-artifacts:/x")
    assert uri_scheme("S3://B/x") == "s3"


def test_local_path_from_uri(tmp_path: Path) -> None:
    assert local_path_from_uri("/data/x") == "/data/x"
    assert local_path_from_uri("file:///data/my%20dir") == "/data/my dir"
    assert local_path_from_uri("file://localhost/data/x") == "/data/x"
    assert local_path_from_uri("file:/data/x") == "/data/x"
    assert local_path_from_uri("rel") == str(Path.cwd() / "rel")
    for bad in ("file://host/x", "file:///x?q", "file:///x#f", "s3://b/x", "//host/x", "file:rel", "file:///a%00b"):
        with pytest.raises(InvalidArgument):
            local_path_from_uri(bad)


# -- validate_artifact_location (catalogue items 8-9) -------------------------------------


@pytest.fixture
def roots(tmp_path: Path) -> list[str]:
    (tmp_path / "artifacts").mkdir()
    return [str(tmp_path / "artifacts"), "s3://bucket/tracklog", "mlflow-artifacts:/"]


def test_locations_inside_the_roots_pass(tmp_path: Path, roots: list[str]) -> None:
    inside = tmp_path / "artifacts" / "exp1"
    for location in (
        str(inside),
        inside.as_uri(),
        f"file:{inside}",
        "s3://bucket/tracklog",
        "s3://bucket/tracklog/exp1",
        "s3://bucket/tracklog/",
        "mlflow-artifacts:/1",
    ):
        assert validate_artifact_location(location, roots) == location


@pytest.mark.parametrize(
    "location",
    [
        "file:///etc",
        "/etc",
        "/",
        "file:///",
        "file://otherhost/share",
        "relative/path",
        "./mlruns",
        "s3://bucket/other",
        "s3://bucket/tracklogger",  # a prefix match must respect segment boundaries
        "s3://other-bucket/tracklog",
        "s3://bucket/tracklog/../secret",
        "s3://bucket/tracklog/%2e%2e/secret",
        "s3://bucket/tracklog/%252e%252e/secret",
        "s3://b/p?../../",
        "s3://bucket/tracklog?x=../../",
        "s3://bucket/tracklog#/../../",
        "http:///?/../../etc/",
        "http:///#/../../etc/",
        "http://host/a;/../../etc",
        "s3://bucket/tracklog/a%3f",
        "s3://bucket/tracklog/a%23",
        "s3://bucket/tracklog\\..\\x",
        "s3://bucket/tracklog/\x00",
        "mlflow-artifacts:/1/../../etc",
        "runs:/abc/model",
        "ftp://host/x",
        "",
    ],
)
def test_bad_locations_are_rejected(location: str, roots: list[str]) -> None:
    with pytest.raises(InvalidArgument):
        validate_artifact_location(location, roots)


def test_local_locations_are_compared_by_real_path(tmp_path: Path, roots: list[str]) -> None:
    (tmp_path / "artifacts" / "escape").symlink_to("/etc")
    with pytest.raises(InvalidArgument):
        validate_artifact_location(str(tmp_path / "artifacts" / "escape"), roots)
    with pytest.raises(InvalidArgument):
        validate_artifact_location(str(tmp_path / "artifacts") + "-sibling", roots)


def test_no_roots_refuses_everything(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument):
        validate_artifact_location(str(tmp_path), [])


def test_allowed_schemes_can_be_narrowed(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="scheme"):
        validate_artifact_location("s3://bucket/x", ["s3://bucket"], allowed_schemes=["", "file"])
    assert validate_artifact_location("s3://bucket/x", ["s3://bucket"], allowed_schemes=["s3"]) == "s3://bucket/x"


def test_file_uri_append_round_trips_exact_names(tmp_path: Path) -> None:
    for name in ("my%20file.txt", "with space/ü.txt", "100%.txt"):
        uri = append_path(tmp_path.as_uri(), name)
        assert local_path_from_uri(uri) == f"{tmp_path}/{name}"
    assert append_path("/plain", "my%20file.txt") == "/plain/my%20file.txt"
    assert append_path("s3://b/p", "my%20file.txt") == "s3://b/p/my%20file.txt"
