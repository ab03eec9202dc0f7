"""Context tags: user, source and git state of the process starting a run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tracklog.client import context

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "feature/x")
    _git(root, "config", "user.email", "t@example.com")
    _git(root, "config", "user.name", "t")
    _git(root, "remote", "add", "origin", "https://example.com/team/project.git")
    (root / "train.py").write_text("print('hi')\n")
    _git(root, "add", "train.py")
    _git(root, "commit", "-q", "-m", "first")
    return root


@needs_git
def test_git_tags_inside_a_checkout(repo: Path) -> None:
    tags = context.git_tags(repo / "train.py")
    assert tags == {
        context.GIT_COMMIT: _git(repo, "rev-parse", "HEAD"),
        context.GIT_BRANCH: "feature/x",
        context.GIT_REPO_URL: "https://example.com/team/project.git",
        context.GIT_DIRTY: "false",
    }


@needs_git
def test_dirty_flag_ignores_untracked_files(repo: Path) -> None:
    (repo / "untracked.txt").write_text("x")
    assert context.git_tags(repo)[context.GIT_DIRTY] == "false"
    (repo / "train.py").write_text("print('changed')\n")
    assert context.git_tags(repo)[context.GIT_DIRTY] == "true"


@needs_git
def test_detached_head_has_no_branch(repo: Path) -> None:
    _git(repo, "checkout", "-q", "--detach")
    tags = context.git_tags(repo)
    assert context.GIT_COMMIT in tags
    assert context.GIT_BRANCH not in tags


@needs_git
def test_no_remote_means_no_repo_url(repo: Path) -> None:
    _git(repo, "remote", "remove", "origin")
    assert context.GIT_REPO_URL not in context.git_tags(repo)


def test_outside_a_checkout_there_are_no_git_tags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    folder = tmp_path / "plain"
    folder.mkdir()
    assert context.git_tags(folder) == {}


def test_missing_git_binary_never_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on PATH
    assert context.git_tags(tmp_path) == {}


def test_git_timeout_is_swallowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(*args: object, **kwargs: object) -> None:
        raise subprocess.TimeoutExpired(cmd="git", timeout=context.GIT_TIMEOUT_S)

    monkeypatch.setattr(subprocess, "run", slow)
    assert context.git_tags(tmp_path) == {}


@needs_git
def test_context_tags_for_a_script(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [str(repo / "train.py")])
    tags = context.context_tags()
    assert tags[context.SOURCE_NAME] == str((repo / "train.py").resolve())
    assert tags[context.SOURCE_TYPE] == "LOCAL"
    assert tags[context.USER] == context.current_user()
    assert tags[context.GIT_BRANCH] == "feature/x"


def test_context_tags_for_python_dash_c(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["-c"])
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    tags = context.context_tags()
    assert tags[context.SOURCE_NAME] == sys.executable
    assert context.GIT_COMMIT not in tags


def test_user_falls_back_to_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> str:
        raise OSError("no user")

    monkeypatch.setattr("getpass.getuser", broken)
    assert context.current_user() == "unknown"
