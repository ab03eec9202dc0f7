"""Placeholder: the search helper replaces this module with the real compiler."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement


@dataclass(frozen=True)
class SqlSearch:
    where: ColumnElement[bool] | None
    order_by: list[ColumnElement[Any]] = field(default_factory=list)


def runs_search(filter_string: str | None, order_by: Sequence[str] | None, dialect_name: str) -> SqlSearch:
    raise NotImplementedError


def experiments_search(
    filter_string: str | None, order_by: Sequence[str] | None, dialect_name: str
) -> SqlSearch:
    raise NotImplementedError


def logged_models_search(
    filter_string: str | None,
    order_by: Sequence[dict[str, Any]] | None,
    datasets: Sequence[dict[str, Any]] | None,
    dialect_name: str,
) -> SqlSearch:
    raise NotImplementedError
