"""The public surface other modules rely on."""

from __future__ import annotations

import inspect

from sqlalchemy import ColumnElement, select
from sqlalchemy.dialects import postgresql

import tracklog.search
from tracklog.exceptions import InvalidArgument
from tracklog.search import SqlSearch, experiments_search, logged_models_search, runs_search
from tracklog.store.sql import schema


def test_public_names() -> None:
    assert sorted(tracklog.search.__all__) == ["SqlSearch", "experiments_search", "logged_models_search", "runs_search"]


def test_signatures_are_pinned() -> None:
    assert list(inspect.signature(runs_search).parameters) == ["filter_string", "order_by", "dialect_name"]
    assert list(inspect.signature(experiments_search).parameters) == ["filter_string", "order_by", "dialect_name"]
    assert list(inspect.signature(logged_models_search).parameters) == [
        "filter_string",
        "order_by",
        "datasets",
        "dialect_name",
    ]
    assert [f for f in SqlSearch.__dataclass_fields__] == ["where", "order_by", "candidates"]


def test_no_filter_gives_no_where() -> None:
    search = runs_search(None, None, "sqlite")
    assert search.where is None
    assert all(isinstance(clause, ColumnElement) for clause in search.order_by)
    assert logged_models_search("", None, [], "sqlite").where is None


def test_values_are_bound_parameters_never_inlined() -> None:
    search = runs_search("params.x = 'a''; DROP TABLE runs;--' AND metrics.`m'` > 1", None, "postgresql")
    assert search.where is not None
    compiled = select(schema.runs.c.run_uuid).where(search.where).compile(dialect=postgresql.dialect())
    sql = str(compiled)
    assert "DROP" not in sql
    assert "m'" not in sql
    assert "a'; DROP TABLE runs;--" in compiled.params.values()
    assert "m'" in compiled.params.values()


def test_errors_are_invalid_argument_with_the_wire_code() -> None:
    try:
        runs_search("metrics.acc = 'x'", None, "sqlite")
    except InvalidArgument as exc:
        assert exc.error_code == "INVALID_PARAMETER_VALUE"
        assert exc.http_status == 400
    else:  # pragma: no cover
        raise AssertionError("expected InvalidArgument")
