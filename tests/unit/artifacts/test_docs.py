"""docs/artifacts.md must mention every operation and every public helper."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from tracklog.artifacts import paths, registry, uri
from tracklog.artifacts.base import ArtifactRepository

DOC = Path(__file__).resolve().parents[3] / "docs" / "artifacts.md"

OPERATIONS = sorted(
    name for name, member in inspect.getmembers(ArtifactRepository, inspect.isfunction) if not name.startswith("_")
)
HELPERS = sorted(
    name
    for module in (paths, registry, uri)
    for name in module.__all__
    if callable(getattr(module, name)) and not name[0].isupper()
)


@pytest.mark.parametrize("name", OPERATIONS + HELPERS)
def test_documented(name: str) -> None:
    prose = re.sub(r"```.*?```", "", DOC.read_text(encoding="utf-8"), flags=re.S)
    code_spans = re.findall(r"`[^`]+`", prose)
    assert any(re.search(rf"\b{name}\b", span) for span in code_spans), f"docs/artifacts.md lacks {name}"


def test_cloud_section_is_there() -> None:
    assert "## Cloud stores" in DOC.read_text(encoding="utf-8")
