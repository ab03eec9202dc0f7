"""Tokenizer: filter and order_by text -> tokens with positions.

Token kinds:

* ``IDENT``: an identifier. ``prefix`` is the entity type written before the
  first dot (``metrics`` in ``metrics.acc``), or ``None`` for a bare attribute
  name. The key after the dot is either bare (letters, digits, ``_ . : / -``, so
  ``tags.mlflow.runName`` is one key) or quoted with backticks or double
  quotes (`` params.`my param` ``, ``tags."a b"``). A backticked name with no
  prefix (`` `Run Name` ``) is a bare attribute name.
* ``STRING``: ``'single'`` or ``"double"`` quoted; a doubled quote inside
  stands for one quote character. A double-quoted string in identifier
  position is read as an attribute name (MLflow accepts ``"run_name" = 'x'``).
* ``NUMBER``: ``12``, ``-3``, ``0.5``, ``.5``, ``1.``, ``1e-3``. Integers that fit
  in 64 bits stay ``int``; everything else becomes a finite ``float``.
* ``KEYWORD``: ``AND OR NOT LIKE ILIKE IN IS NULL``, any letter case.
* ``OP``: ``= != <> < <= > >=`` (``<>`` is read as ``!=``).
* ``LPAREN``, ``RPAREN``, ``COMMA``, and a final ``EOF``.

Positions count characters from 0.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from tracklog.search.errors import invalid, refuse_unstorable

__all__ = ["KEYWORDS", "Kind", "Token", "iter_tokens", "tokenize"]

KEYWORDS = frozenset({"AND", "OR", "NOT", "LIKE", "ILIKE", "IN", "IS", "NULL"})

_HEAD = re.compile(r"[^\W\d]\w*")
_BARE_KEY = re.compile(r"[\w.:/\-]+")
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_OPERATORS = ("!=", "<>", "<=", ">=", "=", "<", ">")
_SPACE = frozenset(" \t\r\n\f\v")
_INT64 = 2**63


class Kind(enum.Enum):
    IDENT = "identifier"
    STRING = "string"
    NUMBER = "number"
    KEYWORD = "keyword"
    OP = "operator"
    LPAREN = "'('"
    RPAREN = "')'"
    COMMA = "','"
    EOF = "end of input"


_PUNCTUATION = {"(": Kind.LPAREN, ")": Kind.RPAREN, ",": Kind.COMMA}


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    position: int
    value: str = ""
    """STRING: the decoded text; KEYWORD: upper case; OP: the operator; IDENT: the key."""
    prefix: str | None = None
    """IDENT only: the entity type written before the dot."""
    quote: str = ""
    """STRING: its quote character; IDENT: the quote around the key ('' when bare)."""
    number: int | float = 0

    def describe(self) -> str:
        if self.kind in (Kind.EOF, Kind.LPAREN, Kind.RPAREN, Kind.COMMA):
            return str(self.kind.value)
        return f"{self.kind.value} '{self.text}'"


class _Lexer:
    def __init__(self, text: str, what: str) -> None:
        self.text = text
        self.what = what
        self.pos = 0

    def fail(self, message: str, position: int) -> Exception:
        return invalid(self.what, self.text, message, position)

    def run(self) -> Iterator[Token]:
        text = self.text
        refuse_unstorable(self.what, text)
        while True:
            while self.pos < len(text) and text[self.pos] in _SPACE:
                self.pos += 1
            if self.pos >= len(text):
                yield Token(Kind.EOF, "", len(text))
                return
            yield self.next_token()

    def next_token(self) -> Token:
        text, start = self.text, self.pos
        char = text[start]
        if char in _PUNCTUATION:
            self.pos += 1
            return Token(_PUNCTUATION[char], char, start)
        for op in _OPERATORS:
            if text.startswith(op, start):
                self.pos += len(op)
                return Token(Kind.OP, op, start, value="!=" if op == "<>" else op)
        if char == "'" or char == '"':
            value = self.quoted(char, "string")
            return Token(Kind.STRING, text[start : self.pos], start, value=value, quote=char)
        if char == "`" or _HEAD.match(text, start):
            return self.identifier()
        number = _NUMBER.match(text, start)
        if number:
            return self.number(number.group(), start)
        raise self.fail(f"unexpected character {char!r}", start)

    def quoted(self, quote: str, what: str) -> str:
        """Read from an opening quote to its closing quote; a doubled quote is one character."""
        start, text = self.pos, self.text
        parts: list[str] = []
        pos = start + 1
        while True:
            end = text.find(quote, pos)
            if end < 0:
                raise self.fail(f"unterminated {what}", start)
            parts.append(text[pos:end])
            if text.startswith(quote, end + 1):
                parts.append(quote)
                pos = end + 2
                continue
            self.pos = end + 1
            return "".join(parts)

    def identifier(self) -> Token:
        text, start = self.text, self.pos
        head_quoted = text[start] == "`"
        if head_quoted:
            head = self.quoted("`", "quoted name")
        else:
            match = _HEAD.match(text, start)
            assert match is not None
            head = match.group()
            self.pos = match.end()
        if self.pos < len(text) and text[self.pos] == ".":
            return self.dotted(head, start)
        raw = text[start : self.pos]
        if not head_quoted and head.upper() in KEYWORDS:
            return Token(Kind.KEYWORD, raw, start, value=head.upper())
        return Token(Kind.IDENT, raw, start, value=head, quote="`" if head_quoted else "")

    def dotted(self, prefix: str, start: int) -> Token:
        text = self.text
        self.pos += 1  # the dot
        char = text[self.pos] if self.pos < len(text) else ""
        if char in ("`", '"'):
            key = self.quoted(char, "quoted name")
            quote = char
        else:
            match = _BARE_KEY.match(text, self.pos)
            if match is None:
                raise self.fail(f"expected a key after '{prefix}.'", self.pos)
            key, quote = match.group(), ""
            self.pos = match.end()
        return Token(Kind.IDENT, text[start : self.pos], start, value=key, prefix=prefix, quote=quote)

    def number(self, raw: str, start: int) -> Token:
        end = start + len(raw)
        if end < len(self.text) and (self.text[end].isalnum() or self.text[end] in "_."):
            raise self.fail(f"invalid number '{raw}{self.text[end]}'", start)
        self.pos = end
        value: int | float
        if len(raw) <= 20 and re.fullmatch(r"-?\d+", raw) and -_INT64 <= int(raw) < _INT64:
            value = int(raw)
        else:
            value = float(raw)
            if not math.isfinite(value):
                raise self.fail(f"number '{raw}' is out of range", start)
        return Token(Kind.NUMBER, raw, start, number=value)


def iter_tokens(text: str, what: str = "filter") -> Iterator[Token]:
    """Lazily split ``text`` into tokens, ending with ``EOF``; ``what`` names the input in errors.

    Lazy so that a parser hitting a limit stops reading: the work stays bounded
    by the limits rather than by the length of the input.
    """
    return _Lexer(text, what).run()


def tokenize(text: str, what: str = "filter") -> list[Token]:
    """All tokens of ``text`` (see ``iter_tokens``)."""
    return list(iter_tokens(text, what))
