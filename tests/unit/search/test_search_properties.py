"""Property-based tests: unparse/parse round trips, and garbage only ever raises InvalidArgument."""

from __future__ import annotations

import contextlib
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.dialects import mysql, postgresql, sqlite

from tracklog.exceptions import InvalidArgument
from tracklog.search import experiments_search, logged_models_search, runs_search
from tracklog.search.ast import (
    LIST_OPS,
    NULL_OPS,
    NUMERIC_OPS,
    PATTERN_OPS,
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
from tracklog.search.identifiers import EXPERIMENTS, LOGGED_MODELS, RUNS, AttrType, EntitySpec
from tracklog.search.order_by import parse_order_by
from tracklog.search.parser import parse_filter
from tracklog.search.unparse import unparse
from tracklog.store.sql import schema

STRING_OPS = sorted({Op.EQ, Op.NE} | PATTERN_OPS | LIST_OPS, key=lambda op: op.value)
SETTINGS = settings(max_examples=300, deadline=1000, suppress_health_check=[HealthCheck.too_slow])

storable = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
keys = st.text(storable, min_size=1, max_size=12)
texts = st.text(storable, max_size=12)
numbers = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
)


def _values(op: Op, scalar: st.SearchStrategy[String | Number]) -> st.SearchStrategy[object]:
    if op in NULL_OPS:
        return st.none()
    if op in LIST_OPS:
        return st.lists(scalar, min_size=1, max_size=4).map(lambda items: ListValue(tuple(items)))
    return scalar


def _comparison(
    identifier: Identifier, ops: list[Op], scalar: st.SearchStrategy[String | Number]
) -> st.SearchStrategy[Comparison]:
    return st.sampled_from(ops).flatmap(
        lambda op: _values(op, scalar).map(lambda value: Comparison(identifier, op, value))  # type: ignore[arg-type]
    )


strings = texts.map(String)
nums = numbers.map(Number)
ids = st.one_of(
    st.integers(min_value=0, max_value=10**12).map(Number),
    st.integers(min_value=0, max_value=10**12).map(lambda i: String(str(i))),
)


def comparisons(spec: EntitySpec) -> st.SearchStrategy[Comparison]:
    options: list[st.SearchStrategy[Comparison]] = []
    numeric_null = sorted(NUMERIC_OPS | NULL_OPS, key=lambda op: op.value)
    if EntityType.METRIC in spec.filter_types:
        options.append(keys.flatmap(lambda k: _comparison(Identifier(EntityType.METRIC, k), numeric_null, nums)))
    for entity in (EntityType.PARAM, EntityType.TAG):
        if entity in spec.filter_types:
            ops = STRING_OPS + sorted(NULL_OPS, key=lambda op: op.value)
            options.append(keys.flatmap(lambda k, e=entity, o=ops: _comparison(Identifier(e, k), o, strings)))
    if EntityType.DATASET in spec.filter_types:
        options.append(
            st.sampled_from(sorted(spec.dataset_keys)).flatmap(
                lambda k: _comparison(Identifier(EntityType.DATASET, k), STRING_OPS, strings)
            )
        )
    for attribute in spec.attributes:
        identifier = Identifier(EntityType.ATTRIBUTE, attribute.name)
        if attribute.type is AttrType.NUMBER:
            ops = sorted(NUMERIC_OPS | LIST_OPS | NULL_OPS, key=lambda op: op.value)
            options.append(_comparison(identifier, ops, nums))
        elif attribute.type is AttrType.ID:
            options.append(_comparison(identifier, [Op.EQ, Op.NE, Op.IN, Op.NOT_IN], ids))
        else:
            ops = STRING_OPS + sorted(NULL_OPS, key=lambda op: op.value)
            options.append(_comparison(identifier, ops, strings))
    return st.one_of(options)


def trees(spec: EntitySpec) -> st.SearchStrategy[Expr]:
    def extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
        pairs = st.lists(children, min_size=2, max_size=3).map(tuple)
        return st.one_of(pairs.map(And), pairs.map(Or), children.map(Not))

    return st.recursive(comparisons(spec), extend, max_leaves=8)  # type: ignore[arg-type]


@SETTINGS
@given(trees(RUNS))
def test_runs_round_trip(tree: Expr) -> None:
    assert parse_filter(unparse(tree), RUNS) == tree


@SETTINGS
@given(trees(EXPERIMENTS))
def test_experiments_round_trip(tree: Expr) -> None:
    assert parse_filter(unparse(tree), EXPERIMENTS) == tree


@SETTINGS
@given(trees(LOGGED_MODELS))
def test_logged_models_round_trip(tree: Expr) -> None:
    assert parse_filter(unparse(tree), LOGGED_MODELS) == tree


DIALECTS = [sqlite.dialect(), postgresql.dialect(), mysql.dialect()]


@settings(max_examples=60, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(trees(RUNS))
def test_every_valid_runs_tree_compiles_on_every_dialect(tree: Expr) -> None:
    for dialect in DIALECTS:
        search = runs_search(unparse(tree), ["metrics.m DESC", "params.p"], dialect.name)
        assert search.where is not None
        query = select(schema.runs.c.run_uuid).where(search.where).order_by(*search.order_by)
        assert "SELECT" in str(query.compile(dialect=dialect))


@settings(max_examples=60, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(trees(LOGGED_MODELS))
def test_every_valid_logged_model_tree_compiles_on_every_dialect(tree: Expr) -> None:
    for dialect in DIALECTS:
        search = logged_models_search(
            unparse(tree), [{"field_name": "metrics.m", "dataset_name": "d"}], [{"dataset_name": "d"}], dialect.name
        )
        query = select(schema.logged_models.c.model_id).where(search.where).order_by(*search.order_by)  # type: ignore[arg-type]
        assert "SELECT" in str(query.compile(dialect=dialect))


# -- garbage in, InvalidArgument out ---------------------------------------------------------

FRAGMENTS = [
    "metrics.a", "params.`x y`", 'tags."q"', "run_name", "`Run Name`", "datasets.name", "foo.bar", "tags.",
    "=", "!=", "<>", "<", ">=", "LIKE", "ilike", "NOT", "IN", "IS", "NULL", "AND", "or",
    "(", ")", ",", "'a'", "'it''s'", '"s"', "'", '"', "`", "1", "-2.5e3", ".5", "1e999", "1x",
    ";", "--", "/*", "DROP TABLE runs", "%", "\\", "\x00", "é", " ", "\n",
]  # fmt: skip

fuzz = st.lists(st.sampled_from(FRAGMENTS), max_size=12).map(" ".join) | st.lists(
    st.sampled_from(FRAGMENTS), max_size=12
).map("".join)


def _only_invalid_argument(text: str) -> None:
    for spec in (RUNS, EXPERIMENTS, LOGGED_MODELS):
        with contextlib.suppress(InvalidArgument):
            parse_filter(text, spec)
    with contextlib.suppress(InvalidArgument):
        parse_order_by([text], RUNS)


@SETTINGS
@given(st.text(max_size=200))
def test_arbitrary_text_only_raises_invalid_argument(text: str) -> None:
    _only_invalid_argument(text)


@SETTINGS
@given(st.text(alphabet=string.printable, max_size=200))
def test_arbitrary_printable_text_only_raises_invalid_argument(text: str) -> None:
    _only_invalid_argument(text)


@SETTINGS
@given(fuzz)
def test_token_soup_only_raises_invalid_argument(text: str) -> None:
    _only_invalid_argument(text)
    for compile_search in (
        lambda: runs_search(text, [text], "postgresql"),
        lambda: experiments_search(text, [text], "mysql"),
        lambda: logged_models_search(text, [{"field_name": text}], None, "sqlite"),
    ):
        with contextlib.suppress(InvalidArgument):
            compile_search()
