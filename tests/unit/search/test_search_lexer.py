"""Tokenizer: token kinds, decoded values and positions."""

from __future__ import annotations

import pytest

from tracklog.exceptions import InvalidArgument
from tracklog.search.lexer import Kind, tokenize


def kinds(text: str) -> list[Kind]:
    return [t.kind for t in tokenize(text)]


def test_simple_comparison_tokens_and_positions() -> None:
    tokens = tokenize("metrics.acc >= 0.5")
    assert [(t.kind, t.position) for t in tokens] == [
        (Kind.IDENT, 0),
        (Kind.OP, 12),
        (Kind.NUMBER, 15),
        (Kind.EOF, 18),
    ]
    assert tokens[0].prefix == "metrics" and tokens[0].value == "acc"
    assert tokens[2].number == 0.5


def test_dotted_keys_stay_one_identifier() -> None:
    (ident, _eof) = tokenize("tags.mlflow.runName")
    assert (ident.prefix, ident.value, ident.quote) == ("tags", "mlflow.runName", "")


@pytest.mark.parametrize(
    ("text", "prefix", "key", "quote"),
    [
        ("params.`my param`", "params", "my param", "`"),
        ('tags."a b"', "tags", "a b", '"'),
        ("params.`a``b`", "params", "a`b", "`"),
        ("`Run Name`", None, "Run Name", "`"),
        ("`metrics`.acc", "metrics", "acc", ""),
        ("metrics.1x", "metrics", "1x", ""),
        ("metrics.train/loss-v2:x", "metrics", "train/loss-v2:x", ""),
        ("run_name", None, "run_name", ""),
    ],
)
def test_identifier_forms(text: str, prefix: str | None, key: str, quote: str) -> None:
    token = tokenize(text)[0]
    assert (token.kind, token.prefix, token.value, token.quote) == (Kind.IDENT, prefix, key, quote)


@pytest.mark.parametrize(
    ("text", "value"),
    [("'abc'", "abc"), ('"abc"', "abc"), ("'it''s'", "it's"), ('"say ""hi"""', 'say "hi"'), ("''", "")],
)
def test_strings_decode_doubled_quotes(text: str, value: str) -> None:
    token = tokenize(text)[0]
    assert (token.kind, token.value) == (Kind.STRING, value)


def test_backslash_is_literal_in_strings() -> None:
    assert tokenize(r"'a\%b'")[0].value == r"a\%b"


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12), ("-3", -3), ("0.5", 0.5), (".5", 0.5), ("1.", 1.0), ("1e-3", 0.001), ("-2.5E+2", -250.0)],
)
def test_numbers(text: str, value: float) -> None:
    token = tokenize(text)[0]
    assert token.kind is Kind.NUMBER and token.number == value
    assert isinstance(token.number, int) == isinstance(value, int)


def test_huge_integers_become_floats_and_overflow_is_an_error() -> None:
    assert tokenize("99999999999999999999")[0].number == 1e20
    with pytest.raises(InvalidArgument, match="out of range at position 0"):
        tokenize("1e999")
    with pytest.raises(InvalidArgument, match="out of range"):
        tokenize("9" * 5000)


@pytest.mark.parametrize("word", ["and", "AND", "And", "like", "ILIKE", "in", "Is", "not", "NULL", "or"])
def test_keywords_any_case(word: str) -> None:
    token = tokenize(word)[0]
    assert token.kind is Kind.KEYWORD and token.value == word.upper()


def test_operators() -> None:
    ops = tokenize("= != <> < <= > >=")
    assert [t.value for t in ops[:-1]] == ["=", "!=", "!=", "<", "<=", ">", ">="]


def test_punctuation() -> None:
    assert kinds("('a', 'b')") == [Kind.LPAREN, Kind.STRING, Kind.COMMA, Kind.STRING, Kind.RPAREN, Kind.EOF]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("params.x = 'abc", "unterminated string at position 11"),
        ('tags."a b = 1', "unterminated quoted name at position 5"),
        ("`Run Name = 'x'", "unterminated quoted name at position 0"),
        ("metrics.a ; 1", "unexpected character ';' at position 10"),
        ("tags. = 'x'", "expected a key after 'tags.' at position 5"),
        ("metrics.a > 1x", "invalid number '1x' at position 12"),
        ("metrics.a > 1.2.3", "invalid number '1.2.' at position 12"),
    ],
)
def test_lexical_errors_point_at_the_token(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        tokenize(text)
    assert message in info.value.message
    assert info.value.message.startswith(f"Invalid filter '{text}': ")


@pytest.mark.parametrize(("text", "position"), [("params.x = 'a\x00'", 13), ("tags.`\ud800` = 'x'", 6)])
def test_nul_and_surrogates_are_refused_and_escaped_in_the_message(text: str, position: int) -> None:
    with pytest.raises(InvalidArgument) as info:
        tokenize(text)
    message = info.value.message
    assert f"is not allowed at position {position}" in message
    message.encode("utf-8")  # renderable: no raw NUL or surrogate in the message
    assert "\x00" not in message
