"""order_by parsing and the SQL ordering it compiles to (no database needed)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import mysql, postgresql, sqlite

from tracklog.exceptions import InvalidArgument
from tracklog.search import experiments_search, limits, logged_models_search, runs_search
from tracklog.search.ast import EntityType, Identifier, OrderKey
from tracklog.search.identifiers import EXPERIMENTS, LOGGED_MODELS, RUNS
from tracklog.search.order_by import parse_model_order_by, parse_order_by
from tracklog.store.sql import schema

M, P, T, A = EntityType.METRIC, EntityType.PARAM, EntityType.TAG, EntityType.ATTRIBUTE


def key(entity: EntityType, name: str, ascending: bool = True) -> OrderKey:
    return OrderKey(Identifier(entity, name), ascending)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("metrics.a", key(M, "a")),
        ("metrics.`a b` DESC", key(M, "a b", False)),
        ('params."a b"', key(P, "a b")),
        ("run_name asc", key(A, "run_name")),
        ("created", key(A, "start_time")),
        ("Created DESC", key(A, "start_time", False)),
        ("`Run Name` desc", key(A, "run_name", False)),
        ("tags.mlflow.runName Desc", key(T, "mlflow.runName", False)),
        ("attributes.start_time DESC", key(A, "start_time", False)),
        ("  end_time  ", key(A, "end_time")),
        ("status", key(A, "status")),
        ("user_id", key(A, "user_id")),
        ("artifact_uri", key(A, "artifact_uri")),
        ("run_id", key(A, "run_id")),
    ],
)
def test_runs_order_by_entries(entry: str, expected: OrderKey) -> None:
    assert parse_order_by([entry], RUNS) == [expected]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("a, b", "unknown attribute 'a'"),
        (
            "start_time DESC, run_id",
            "Invalid order_by 'start_time DESC, run_id': an entry holds a single key; "
            "send each key as its own list entry at position 15",
        ),
        ("start_time sideways", "expected ASC, DESC or the end of the entry, got identifier 'sideways' at position 11"),
        ("start_time DESC DESC", "got identifier 'DESC' at position 16"),
        ("metrics.a; DROP TABLE runs", "unexpected character ';' at position 9"),
        ("datasets.name", "runs cannot be ordered by datasets at position 0"),
        ("foo.bar", "unknown entity type 'foo'"),
        ("1", "expected an identifier"),
        ("start_time `DESC`", "got identifier '`DESC`'"),
    ],
)
def test_runs_order_by_errors(entry: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_order_by([entry], RUNS)
    assert message in info.value.message


def test_order_by_list_shape() -> None:
    assert parse_order_by(None, RUNS) == []
    assert parse_order_by([], RUNS) == []
    assert parse_order_by(["", "  "], RUNS) == []
    assert parse_order_by("metrics.a", RUNS) == [key(M, "a")]  # a lone string is one entry
    with pytest.raises(InvalidArgument, match="expected strings, got int"):
        parse_order_by([1], RUNS)  # type: ignore[list-item]
    with pytest.raises(InvalidArgument, match=f"exceed the limit of {limits.MAX_ORDER_BY_KEYS}"):
        parse_order_by(["metrics.a"] * (limits.MAX_ORDER_BY_KEYS + 1), RUNS)
    with pytest.raises(InvalidArgument, match=f"longer than the limit of {limits.MAX_ORDER_BY_LENGTH}"):
        parse_order_by(["metrics." + "a" * limits.MAX_ORDER_BY_LENGTH], RUNS)


def test_experiment_order_by() -> None:
    assert parse_order_by(["name DESC", "tags.t"], EXPERIMENTS) == [key(A, "name", False), key(T, "t")]
    with pytest.raises(InvalidArgument, match="experiments cannot be ordered by metrics"):
        parse_order_by(["metrics.a"], EXPERIMENTS)


def test_logged_model_order_by() -> None:
    parsed = parse_model_order_by(
        [
            {"field_name": "metrics.acc", "ascending": False, "dataset_name": "d", "dataset_digest": "x"},
            {"field_name": "creation_time"},
            {"field_name": "metrics.`my metric`", "ascending": None},
            {"field_name": "metrics.a b"},
        ],
        LOGGED_MODELS,
    )
    assert parsed == [
        OrderKey(Identifier(M, "acc"), False, "d", "x"),
        key(A, "creation_timestamp"),
        key(M, "my metric"),
        key(M, "a b"),
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"field_name": "params.lr"}, "only an attribute or metrics.<key> can be ordered by"),
        ({"field_name": "metrics."}, "empty metric key"),
        ({"field_name": "nope"}, "unknown attribute"),
        ({}, "'field_name' must be specified"),
        ({"field_name": 3}, "'field_name' must be specified"),
        ({"field_name": "name", "ascending": "false"}, "'ascending' must be a boolean, got str"),
        ({"field_name": "name", "ascending": 1}, "'ascending' must be a boolean, got int"),
        ({"field_name": "metrics.a", "dataset_digest": "x"}, "'dataset_digest' needs 'dataset_name'"),
        ({"field_name": "metrics.a", "dataset_name": 5}, "'dataset_name' must be a string"),
        ("name", "each entry must be an object"),
    ],
)
def test_logged_model_order_by_errors(entry: object, message: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_model_order_by([entry], LOGGED_MODELS)  # type: ignore[list-item]
    assert message in info.value.message


def _sql(dialect_name: str, order_by: list[str]) -> str:
    dialect = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect(), "mysql": mysql.dialect()}[dialect_name]
    search = runs_search(None, order_by, dialect_name)
    query = select(schema.runs.c.run_uuid).order_by(*search.order_by)
    return str(query.compile(dialect=dialect)).split("ORDER BY", 1)[1]


def test_default_tie_breakers_make_the_order_total() -> None:
    assert _sql("postgresql", []).split() == ["runs.start_time", "DESC", "NULLS", "LAST,", "runs.run_uuid", "ASC"]
    assert "runs.run_uuid ASC" in _sql("postgresql", ["metrics.a"])
    # not repeated when requested explicitly
    assert _sql("postgresql", ["run_id DESC"]).count("run_uuid") == 1
    assert _sql("postgresql", ["created ASC"]).count("start_time") == 1


def test_nulls_last_per_dialect() -> None:
    assert "NULLS LAST" in _sql("sqlite", ["metrics.a DESC"])
    assert "NULLS LAST" in _sql("postgresql", ["metrics.a DESC"])
    my = _sql("mysql", ["metrics.a DESC"])
    assert "NULLS" not in my
    assert my.strip().startswith("CASE WHEN")


def test_non_nullable_columns_sort_without_null_handling() -> None:
    assert _sql("mysql", ["status"]).strip().startswith("runs.status ASC")


def test_mariadb_is_mysql_and_unknown_dialects_fail() -> None:
    assert runs_search(None, ["metrics.a"], "mariadb").order_by
    with pytest.raises(ValueError, match="unsupported SQL dialect 'oracle'"):
        runs_search(None, None, "oracle")


def test_every_entry_point_orders_totally() -> None:
    experiments = experiments_search(None, None, "sqlite").order_by
    assert [str(c) for c in experiments][-1] == "experiments.experiment_id ASC"
    models = logged_models_search(None, None, None, "sqlite").order_by
    assert [str(c) for c in models] == ["logged_models.creation_timestamp_ms DESC", "logged_models.model_id ASC"]
