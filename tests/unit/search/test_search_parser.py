"""Parser: MLflow's grammar, our extensions, type rules and positioned errors."""

from __future__ import annotations

import time

import pytest

from tracklog.exceptions import InvalidArgument
from tracklog.search import limits
from tracklog.search.ast import (
    And,
    Comparison,
    EntityType,
    Expr,
    Identifier,
    ListValue,
    Not,
    Number,
    Op,
    Or,
    String,
)
from tracklog.search.identifiers import EXPERIMENTS, LOGGED_MODELS, RUNS, EntitySpec
from tracklog.search.parser import parse_filter

M, P, T, A, D = EntityType.METRIC, EntityType.PARAM, EntityType.TAG, EntityType.ATTRIBUTE, EntityType.DATASET


def cmp(entity: EntityType, key: str, op: Op, value: object = None) -> Comparison:
    if isinstance(value, tuple):
        wrapped: object = ListValue(tuple(String(v) if isinstance(v, str) else Number(v) for v in value))
    elif isinstance(value, str):
        wrapped = String(value)
    elif value is None:
        wrapped = None
    else:
        assert isinstance(value, int | float)
        wrapped = Number(value)
    return Comparison(Identifier(entity, key), op, wrapped)  # type: ignore[arg-type]


def parse(text: str, spec: EntitySpec = RUNS) -> Expr | None:
    return parse_filter(text, spec)


def error(text: str, spec: EntitySpec = RUNS) -> str:
    with pytest.raises(InvalidArgument) as info:
        parse_filter(text, spec)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    return info.value.message


# -- MLflow's valid examples -------------------------------------------------------------------


def test_spec_example_metric_and_param() -> None:
    assert parse("metrics.loss < 1 and params.alpha = '0.5'") == And(
        (cmp(M, "loss", Op.LT, 1), cmp(P, "alpha", Op.EQ, "0.5"))
    )


def test_spec_examples() -> None:
    assert parse("attributes.run_name LIKE 'r%'") == cmp(A, "run_name", Op.LIKE, "r%")
    assert parse("tags.mlflow.runName = 'x'") == cmp(T, "mlflow.runName", Op.EQ, "x")
    assert parse("run_id IN ('a','b')") == cmp(A, "run_id", Op.IN, ("a", "b"))
    assert parse("datasets.context = 'training'") == cmp(D, "context", Op.EQ, "training")
    assert parse("`Run Name` ILIKE 'R%' and created > 1700000000000") == And(
        (cmp(A, "run_name", Op.ILIKE, "R%"), cmp(A, "start_time", Op.GT, 1700000000000))
    )


@pytest.mark.parametrize(
    ("prefix", "entity"),
    [
        ("metric", M),
        ("metrics", M),
        ("param", P),
        ("params", P),
        ("parameter", P),
        ("parameters", P),
        ("tag", T),
        ("tags", T),
    ],
)
def test_entity_type_prefixes(prefix: str, entity: EntityType) -> None:
    value = "1" if entity is M else "'v'"
    expected = cmp(entity, "k", Op.EQ, 1 if entity is M else "v")
    assert parse(f"{prefix}.k = {value}") == expected


@pytest.mark.parametrize("prefix", ["attribute", "attributes", "attr", "run"])
def test_attribute_prefixes(prefix: str) -> None:
    assert parse(f"{prefix}.status = 'RUNNING'") == cmp(A, "status", Op.EQ, "RUNNING")


@pytest.mark.parametrize("prefix", ["dataset", "datasets"])
def test_dataset_prefixes(prefix: str) -> None:
    assert parse(f"{prefix}.name IN ('a')") == cmp(D, "name", Op.IN, ("a",))


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("run_name", "run_name"),
        ("`run name`", "run_name"),
        ("`Run name`", "run_name"),
        ("`Run Name`", "run_name"),
        ('"Run Name"', "run_name"),
        ("attributes.`run name`", "run_name"),
        ('"run_id"', "run_id"),
        ("user_id", "user_id"),
        ("artifact_uri", "artifact_uri"),
        ("status", "status"),
    ],
)
def test_string_attribute_aliases(name: str, canonical: str) -> None:
    assert parse(f"{name} = 'x'") == cmp(A, canonical, Op.EQ, "x")


@pytest.mark.parametrize(
    ("name", "canonical"), [("created", "start_time"), ("Created", "start_time"), ("end_time", "end_time")]
)
def test_numeric_attribute_aliases(name: str, canonical: str) -> None:
    assert parse(f"{name} >= 5") == cmp(A, canonical, Op.GE, 5)


def test_quoted_keys() -> None:
    assert parse("params.`my param` = 'x'") == cmp(P, "my param", Op.EQ, "x")
    assert parse('tags."a b" = "x"') == cmp(T, "a b", Op.EQ, "x")
    assert parse("metrics.`a.b c` > 1") == cmp(M, "a.b c", Op.GT, 1)
    assert parse("`metrics`.acc > 1") == cmp(M, "acc", Op.GT, 1)


def test_string_values_single_or_double_quoted() -> None:
    assert parse('params.x = "it\'s"') == cmp(P, "x", Op.EQ, "it's")
    assert parse("params.x = 'it''s'") == cmp(P, "x", Op.EQ, "it's")


@pytest.mark.parametrize("number", ["1", "-1", "0.5", ".5", "-1e3", "1.5E-7", "1."])
def test_numbers_for_metrics(number: str) -> None:
    assert parse(f"metrics.x > {number}") == cmp(M, "x", Op.GT, float(number))


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_metric_operators(op: str) -> None:
    assert parse(f"metrics.x {op} 2") == cmp(M, "x", Op(op), 2)


def test_no_spaces_needed() -> None:
    assert parse("metrics.x>=2 AND params.y='a'") == And((cmp(M, "x", Op.GE, 2), cmp(P, "y", Op.EQ, "a")))


@pytest.mark.parametrize("text", ["params.x like 'a%'", "params.x LIKE 'a%'", "params.x Like 'a%'"])
def test_keywords_case_insensitive(text: str) -> None:
    assert parse(text) == cmp(P, "x", Op.LIKE, "a%")


def test_null_checks() -> None:
    assert parse("params.a IS NULL") == cmp(P, "a", Op.IS_NULL)
    assert parse("tags.a is not null") == cmp(T, "a", Op.IS_NOT_NULL)
    assert parse("metrics.a IS NULL") == cmp(M, "a", Op.IS_NULL)
    assert parse("end_time IS NOT NULL") == cmp(A, "end_time", Op.IS_NOT_NULL)


def test_lists() -> None:
    assert parse("run_id in ('a','b',)") == cmp(A, "run_id", Op.IN, ("a", "b"))
    assert parse("tags.t NOT IN ('a')") == cmp(T, "t", Op.NOT_IN, ("a",))
    assert parse("params.p IN ('a', \"b\")") == cmp(P, "p", Op.IN, ("a", "b"))
    assert parse("status not in ('RUNNING')") == cmp(A, "status", Op.NOT_IN, ("RUNNING",))
    assert parse("datasets.digest NOT IN ('d')") == cmp(D, "digest", Op.NOT_IN, ("d",))


def test_not_like() -> None:
    assert parse("params.a NOT LIKE 'x%'") == cmp(P, "a", Op.NOT_LIKE, "x%")
    assert parse("tags.a not ilike 'x%'") == cmp(T, "a", Op.NOT_ILIKE, "x%")


def test_blank_filter_is_none() -> None:
    assert parse("") is None
    assert parse("   \n ") is None
    assert parse_filter(None, RUNS) is None


# -- precedence ------------------------------------------------------------------------------

a, b, c = cmp(P, "a", Op.EQ, "1"), cmp(P, "b", Op.EQ, "2"), cmp(P, "c", Op.EQ, "3")


def test_and_binds_tighter_than_or() -> None:
    assert parse("params.a = '1' OR params.b = '2' AND params.c = '3'") == Or((a, And((b, c))))
    assert parse("params.a = '1' AND params.b = '2' OR params.c = '3'") == Or((And((a, b)), c))


def test_parentheses_override() -> None:
    assert parse("(params.a = '1' OR params.b = '2') AND params.c = '3'") == And((Or((a, b)), c))


def test_not_binds_tighter_than_and() -> None:
    assert parse("NOT params.a = '1' AND params.b = '2'") == And((Not(a), b))
    assert parse("NOT (params.a = '1' AND params.b = '2')") == Not(And((a, b)))
    assert parse("not not params.a = '1'") == Not(Not(a))


def test_chains_are_flat() -> None:
    assert parse("params.a = '1' and params.b = '2' and params.c = '3'") == And((a, b, c))
    assert parse("params.a = '1' or params.b = '2' or params.c = '3'") == Or((a, b, c))


def test_redundant_parentheses() -> None:
    assert parse("((params.a = '1'))") == a


# -- entities ------------------------------------------------------------------------------


def test_experiments_filter() -> None:
    assert parse("name LIKE 'exp%' and tags.team = 'x'", EXPERIMENTS) == And(
        (cmp(A, "name", Op.LIKE, "exp%"), cmp(T, "team", Op.EQ, "x"))
    )
    assert parse("experiment_id IN ('1', 2)", EXPERIMENTS) == cmp(A, "experiment_id", Op.IN, ("1", 2))
    assert parse("creation_time > 5 and last_update_time <= 7", EXPERIMENTS) is not None
    assert parse("tags.x IS NULL", EXPERIMENTS) == cmp(T, "x", Op.IS_NULL)


def test_logged_models_filter() -> None:
    assert parse("creation_time > 5", LOGGED_MODELS) == cmp(A, "creation_timestamp", Op.GT, 5)
    assert parse("last_updated_time > 5", LOGGED_MODELS) == cmp(A, "last_updated_timestamp", Op.GT, 5)
    assert parse("metrics.acc >= 0.9 AND params.lr IN ('0.1')", LOGGED_MODELS) is not None
    assert parse("source_run_id = 'r' OR model_type ILIKE 'sk%'", LOGGED_MODELS) is not None


# -- errors ----------------------------------------------------------------------------------


def test_error_message_shape_from_the_brief() -> None:
    assert error("metrics.acc = 'x'") == (
        "Invalid filter 'metrics.acc = 'x'': metric 'acc' must be compared with a number, got a string at position 14"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("params.lr = 0.1", "param 'lr' must be compared with a string, got a number at position 12"),
        ("tags.t IN ('a', 1)", "tag 't' must be compared with a string, got a number at position 16"),
        ("start_time > '5'", "attribute 'start_time' must be compared with a number, got a string at position 13"),
        ("status = 5", "attribute 'status' must be compared with a string, got a number at position 9"),
        ("datasets.name = 1", "dataset 'name' must be compared with a string, got a number at position 16"),
        (
            "foo.bar = 'x'",
            "unknown entity type 'foo' (expected one of metrics, params, tags, attributes, datasets) at position 0",
        ),
        ("Metrics.x > 1", "unknown entity type 'Metrics'"),
        ("nope = 'x'", "unknown attribute 'nope' for runs"),
        ("datasets.source = 'x'", "unknown dataset key 'source' (expected one of context, digest, name) at position 0"),
        ("a = 1 or b = 2", "unknown attribute 'a' for runs"),
        (
            "metrics.a > 0 OR 1=1",
            "expected an identifier such as metrics.<key>, params.<key>, tags.<key> or an attribute, "
            "got number '1' at position 17",
        ),
        ("params.x = 'a'; DROP TABLE runs;--", "unexpected character ';' at position 14"),
        ("params.x = 'a' junk", "expected AND, OR or the end of the filter, got identifier 'junk' at position 15"),
        ("status = RUNNING", "expected a value (a quoted string or a number), got identifier 'RUNNING' at position 9"),
        ("params.x LIKE 5", "must be compared with a string, got a number at position 14"),
        (
            "metrics.x LIKE 'a'",
            "operator 'LIKE' is not supported for metric 'x' (use = != < <= > >= IS NULL IS NOT NULL) at position 10",
        ),
        ("metrics.x IN (1)", "operator 'IN' is not supported for metric 'x'"),
        (
            "params.x > 'a'",
            "operator '>' is not supported for param 'x' "
            "(use = != LIKE NOT LIKE ILIKE NOT ILIKE IN NOT IN IS NULL IS NOT NULL) at position 9",
        ),
        ("datasets.name IS NULL", "operator 'IS NULL' is not supported for dataset 'name'"),
        ("run_id IN ()", "empty list of values at position 10"),
        ("run_id IN 'a'", "expected '(' to start a list of values, got string ''a'' at position 10"),
        (
            "run_id IN ('a' 'b')",
            "expected ',' or ')' to close the list at position 10, got string ''b'' at position 15",
        ),
        ("params.x IS 'a'", "expected NULL, got string ''a'' at position 12"),
        ("params.x NOT = 'a'", "expected LIKE, ILIKE or IN after NOT, got operator '=' at position 13"),
        (
            "params.x",
            "expected a comparison operator (= != < <= > >= LIKE NOT LIKE ILIKE NOT ILIKE IN NOT IN "
            "IS NULL IS NOT NULL), got end of input at position 8",
        ),
        ("params.x =", "expected a value (a quoted string or a number), got end of input at position 10"),
        ("(params.x = 'a'", "expected ')' to close the '(' at position 0, got end of input at position 15"),
        ("params.x = 'a')", "expected AND, OR or the end of the filter, got ')' at position 14"),
        ("params.x = 'a' AND", "expected an identifier"),
        ("AND params.x = 'a'", "got keyword 'AND' at position 0"),
        ("NOT", "got end of input at position 3"),
        ("params.`` = 'a'", "empty params key at position 0"),
        ("metrics.x = 1e400", "number '1e400' is out of range at position 12"),
        ("params.x = 'abc", "unterminated string at position 11"),
        ("params.x == 'a'", "expected a value (a quoted string or a number), got operator '=' at position 10"),
    ],
)
def test_errors_point_at_the_offending_token(text: str, message: str) -> None:
    got = error(text)
    assert got.startswith(f"Invalid filter '{text}': ")
    assert message in got


def test_entity_restrictions() -> None:
    assert "experiments cannot be searched by metrics at position 0" in error("metrics.x > 1", EXPERIMENTS)
    assert "experiments cannot be searched by params" in error("params.x = 'a'", EXPERIMENTS)
    assert "logged models cannot be searched by datasets" in error("datasets.name = 'a'", LOGGED_MODELS)
    assert "unknown attribute 'run_id' for experiments" in error("run_id = 'a'", EXPERIMENTS)
    assert "unknown attribute 'start_time' for logged models" in error("start_time > 1", LOGGED_MODELS)


def test_experiment_id_must_be_an_integer() -> None:
    assert "must be compared with an integer id, got 'abc' at position 16" in error(
        "experiment_id = 'abc'", EXPERIMENTS
    )
    assert "integer id, got 1.5" in error("experiment_id = 1.5", EXPERIMENTS)
    assert "operator 'LIKE' is not supported" in error("experiment_id LIKE '1%'", EXPERIMENTS)


def test_error_echo_is_truncated() -> None:
    text = "params.x = 'a' AND " * 50 + "junk"
    message = error(text)
    assert len(message) < 400
    assert "..." in message


# -- limits ----------------------------------------------------------------------------------


def test_filter_length_limit() -> None:
    text = "params.x = '" + "a" * limits.MAX_FILTER_LENGTH + "'"
    assert len(text) > limits.MAX_FILTER_LENGTH
    assert f"longer than the limit of {limits.MAX_FILTER_LENGTH} characters" in error(text)


def test_nesting_limit() -> None:
    ok = "(" * limits.MAX_DEPTH + "params.x = 'a'" + ")" * limits.MAX_DEPTH
    assert parse(ok) == cmp(P, "x", Op.EQ, "a")
    deep = "(" * (limits.MAX_DEPTH + 1) + "params.x = 'a'" + ")" * (limits.MAX_DEPTH + 1)
    assert f"nesting is deeper than the limit of {limits.MAX_DEPTH} levels at position {limits.MAX_DEPTH}" in error(
        deep
    )
    nots = "NOT " * (limits.MAX_DEPTH + 1) + "params.x = 'a'"
    assert "nesting is deeper than the limit" in error(nots)


def test_deep_nesting_is_rejected_quickly_without_recursion_errors() -> None:
    start = time.perf_counter()
    assert "nesting is deeper" in error("(" * 30_000)
    assert "nesting is deeper" in error("NOT " * 10_000 + "params.x = 'a'")
    assert time.perf_counter() - start < 1.0


def test_in_list_limit() -> None:
    ok = "run_id IN (" + ", ".join(f"'{i:032x}'" for i in range(limits.MAX_LIST_ITEMS)) + ")"
    node = parse(ok)
    assert isinstance(node, Comparison) and isinstance(node.value, ListValue)
    assert len(node.value.items) == limits.MAX_LIST_ITEMS
    too_many = "run_id IN (" + ", ".join(f"'{i}'" for i in range(limits.MAX_LIST_ITEMS + 1)) + ")"
    assert f"IN lists hold more than the limit of {limits.MAX_LIST_ITEMS} values" in error(too_many)


def test_100k_item_in_list_is_rejected_quickly() -> None:
    start = time.perf_counter()
    short_items = "run_id IN (" + ",".join("'x'" for _ in range(100_000)) + ")"
    assert "IN lists hold more than the limit" in error(short_items)
    long_items = "run_id IN (" + ",".join(f"'{i:032d}'" for i in range(100_000)) + ")"
    assert "longer than the limit" in error(long_items)
    assert time.perf_counter() - start < 2.0


def test_comparison_limit() -> None:
    text = " AND ".join(["params.x = 'a'"] * (limits.MAX_COMPARISONS + 1))
    assert f"more than the limit of {limits.MAX_COMPARISONS} comparisons" in error(text)


def test_like_pattern_limits() -> None:
    long_pattern = "params.x LIKE '" + "a" * (limits.MAX_LIKE_PATTERN + 1) + "'"
    assert f"LIKE pattern is longer than the limit of {limits.MAX_LIKE_PATTERN} characters at position 14" in error(
        long_pattern
    )
    wild = "params.x LIKE '" + "%a" * (limits.MAX_LIKE_WILDCARDS + 1) + "'"
    assert f"more than the limit of {limits.MAX_LIKE_WILDCARDS} '%' wildcards" in error(wild)
    collapsed = "params.x LIKE '" + "%%%%a" * limits.MAX_LIKE_WILDCARDS + "'"
    assert parse(collapsed) is not None
