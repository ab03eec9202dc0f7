"""safe_relpath and contained: the single path-safety gate."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.artifacts._catalogue import TRAVERSAL

from tracklog.artifacts.paths import MAX_DECODE_ROUNDS, contained, join_relpath, safe_relpath
from tracklog.exceptions import InvalidArgument


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        (None, ""),
        ("", ""),
        ("a", "a"),
        ("a/b/c.txt", "a/b/c.txt"),
        ("a/b/", "a/b"),
        ("model/MLmodel", "model/MLmodel"),
        ("dir with space/file name.txt", "dir with space/file name.txt"),
        ("ünïcødé/日本語.txt", "ünïcødé/日本語.txt"),
        ("ﬁle.txt", "ﬁle.txt"),  # a ligature folds to letters, not separators: kept as given
        (".hidden", ".hidden"),
        ("...", "..."),
        ("a..b/c..", "a..b/c.."),
        ("50%.txt", "50%.txt"),
        ("my%20file.txt", "my%20file.txt"),  # every decoding is checked; the given spelling is kept
        ("a%252Fb", "a%252Fb"),
        ("%41%2e", "%41%2e"),
        ("a%2Fb/", "a%2Fb"),
        ("checkpoint_12:00.pt", "checkpoint_12:00.pt"),
        ("~/x", "~/x"),
    ],
)
def test_accepted_paths_and_their_canonical_form(raw: str | None, canonical: str) -> None:
    assert safe_relpath(raw) == canonical
    assert safe_relpath(canonical) == canonical  # idempotent


@pytest.mark.parametrize("bad", TRAVERSAL)
def test_catalogue_is_rejected(bad: str) -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        safe_relpath(bad)
    assert excinfo.value.message.startswith("Invalid path")
    assert excinfo.value.http_status == 400


def test_decoding_stops_after_the_round_limit() -> None:
    nested = "a"
    for _ in range(MAX_DECODE_ROUNDS + 1):
        nested = nested.replace("%", "%25") if "%" in nested else "%61"
    with pytest.raises(InvalidArgument, match="too many levels"):
        safe_relpath(nested)
    within = "%61"
    for _ in range(MAX_DECODE_ROUNDS - 1):
        within = within.replace("%", "%25")
    assert safe_relpath(within) == within


def test_message_does_not_echo_the_input() -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        safe_relpath("<script>/../x")
    assert "<script>" not in excinfo.value.message


def test_join_relpath() -> None:
    assert join_relpath(None, "a/", "", "b") == "a/b"
    assert join_relpath() == ""
    with pytest.raises(InvalidArgument):
        join_relpath("a", "..", "b")


# -- contained -------------------------------------------------------------------------


def test_contained_joins_below_the_root(tmp_path: Path) -> None:
    assert contained(tmp_path, "a/b") == Path(os.path.realpath(tmp_path)) / "a" / "b"
    assert contained(tmp_path, "") == Path(os.path.realpath(tmp_path))


def test_contained_revalidates(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument):
        contained(tmp_path, "../x")


def test_contained_refuses_links_anywhere_in_the_chain(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "real").mkdir(parents=True)
    (root / "real" / "up").symlink_to(tmp_path)
    (root / "inside").symlink_to(root / "real")  # even a link that stays inside
    for rel in ("real/up", "real/up/x", "inside", "inside/y"):
        with pytest.raises(InvalidArgument, match="symbolic links"):
            contained(root, rel)
    assert contained(root, "real/file/below/a/file") == root / "real" / "file" / "below" / "a" / "file"


def test_contained_allows_a_linked_root(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert contained(tmp_path / "link", "x") == Path(os.path.realpath(tmp_path / "real")) / "x"


# -- properties --------------------------------------------------------------------------

TOKENS = list("./\\%2e5cfFaA0:#?~ ") + ["%2e", "%2f", "%5c", "%25", "%c0%ae", "\uff0e", "\uff0f", "\x00", "\u2025"]
TRICKY = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)


def _inside(root: Path, candidate: Path) -> bool:
    real_root = os.path.realpath(root)
    return os.path.commonpath([real_root, os.path.realpath(candidate)]) == real_root


@settings(max_examples=600, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=60), TRICKY))
def test_any_string_is_rejected_or_stays_inside(tmp_path: Path, raw: str) -> None:
    root = tmp_path / "root"
    try:
        rel = safe_relpath(raw)
    except InvalidArgument as err:
        assert err.message.startswith("Invalid path")
        return
    assert safe_relpath(rel) == rel
    assert not rel.startswith("/") and ".." not in rel.split("/")
    path = contained(root, rel)
    assert _inside(root, path)
    assert _inside(root, Path(os.path.normpath(path)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.one_of(st.text(max_size=30), TRICKY))
def test_any_accepted_path_is_written_inside_the_root(tmp_path_factory: pytest.TempPathFactory, raw: str) -> None:
    from tracklog.artifacts.local import LocalArtifactRepository

    base = tmp_path_factory.mktemp("prop")
    root = base / "root"
    with contextlib.suppress(InvalidArgument):
        LocalArtifactRepository(str(root)).write_stream(raw, iter([b"x"]))
    outside = [p for p in base.rglob("*") if not _inside(root, p) and p != root]
    assert outside == []
