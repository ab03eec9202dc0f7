"""Recursive-descent parser: filter text -> validated AST.

Grammar (keywords in any letter case)::

    filter     := [or_expr] EOF
    or_expr    := and_expr ("OR" and_expr)*
    and_expr   := not_expr ("AND" not_expr)*
    not_expr   := "NOT" not_expr | primary
    primary    := "(" or_expr ")" | comparison
    comparison := identifier ( OP scalar
                             | ["NOT"] ("LIKE" | "ILIKE") string
                             | ["NOT"] "IN" "(" scalar ("," scalar)* [","] ")"
                             | "IS" ["NOT"] "NULL" )

Identifiers are resolved against an ``EntitySpec`` and every comparison is
type-checked (``rules.py``) while the token positions are at hand, so each
error names the offending token's position.
"""

from __future__ import annotations

from tracklog.exceptions import InvalidArgument
from tracklog.search import limits, rules
from tracklog.search.ast import (
    LIST_OPS,
    NULL_OPS,
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
    Scalar,
    String,
    Value,
)
from tracklog.search.errors import invalid
from tracklog.search.identifiers import EntitySpec, resolve_prefix
from tracklog.search.lexer import Kind, Token, iter_tokens

__all__ = ["Parser", "parse_filter"]


class Parser:
    """Parses one filter (or one order_by entry) against an entity spec."""

    def __init__(self, text: str, spec: EntitySpec, what: str = "filter") -> None:
        self.text = text
        self.spec = spec
        self.what = what
        self.tokens = iter_tokens(text, what)
        self.current = next(self.tokens)
        self.comparisons = 0
        self.list_items = 0

    # -- token helpers -------------------------------------------------------
    def peek(self) -> Token:
        return self.current

    def advance(self) -> Token:
        token = self.current
        if token.kind is not Kind.EOF:
            self.current = next(self.tokens)
        return token

    def at_keyword(self, *words: str) -> bool:
        token = self.peek()
        return token.kind is Kind.KEYWORD and token.value in words

    def fail(self, message: str, position: int | None) -> InvalidArgument:
        return invalid(self.what, self.text, message, position)

    def unexpected(self, expected: str) -> InvalidArgument:
        token = self.peek()
        return self.fail(f"expected {expected}, got {token.describe()}", token.position)

    # -- boolean structure ---------------------------------------------------
    def parse(self) -> Expr:
        expr = self.or_expr(0)
        if self.peek().kind is not Kind.EOF:
            raise self.unexpected("AND, OR or the end of the filter")
        return expr

    def or_expr(self, depth: int) -> Expr:
        items = [self.and_expr(depth)]
        while self.at_keyword("OR"):
            self.advance()
            items.append(self.and_expr(depth))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self, depth: int) -> Expr:
        items = [self.not_expr(depth)]
        while self.at_keyword("AND"):
            self.advance()
            items.append(self.not_expr(depth))
        return items[0] if len(items) == 1 else And(tuple(items))

    def deeper(self, depth: int) -> int:
        if depth + 1 > limits.MAX_DEPTH:
            raise self.fail(f"nesting is deeper than the limit of {limits.MAX_DEPTH} levels", self.peek().position)
        return depth + 1

    def not_expr(self, depth: int) -> Expr:
        if self.at_keyword("NOT"):
            inner = self.deeper(depth)
            self.advance()
            return Not(self.not_expr(inner))
        return self.primary(depth)

    def primary(self, depth: int) -> Expr:
        token = self.peek()
        if token.kind is Kind.LPAREN:
            inner = self.deeper(depth)
            self.advance()
            expr = self.or_expr(inner)
            if self.peek().kind is not Kind.RPAREN:
                raise self.unexpected(f"')' to close the '(' at position {token.position}")
            self.advance()
            return expr
        return self.comparison()

    # -- comparisons ---------------------------------------------------------
    def comparison(self) -> Comparison:
        self.comparisons += 1
        if self.comparisons > limits.MAX_COMPARISONS:
            raise self.fail(
                f"the filter has more than the limit of {limits.MAX_COMPARISONS} comparisons",
                self.peek().position,
            )
        identifier = self.identifier(self.spec.filter_types)
        op_token = self.peek()
        op = self.operator()
        try:
            rules.check_operator(self.spec, identifier, op, op_token.position)
            value = self.value(op)
            if value is not None:
                rules.check_value(self.spec, identifier, op, value)
        except rules.Violation as violation:
            raise self.fail(violation.message, violation.position) from None
        return Comparison(identifier, op, value)

    def identifier(self, allowed: frozenset[EntityType]) -> Identifier:
        token = self.peek()
        if token.kind is Kind.STRING and token.quote == '"':
            prefix, key = None, token.value
        elif token.kind is Kind.IDENT:
            prefix, key = token.prefix, token.value
        else:
            raise self.unexpected("an identifier such as metrics.<key>, params.<key>, tags.<key> or an attribute")
        self.advance()
        entity_type = EntityType.ATTRIBUTE
        if prefix is not None:
            resolved = resolve_prefix(prefix)
            if resolved is None:
                names = ", ".join(t.value for t in EntityType if t in allowed)
                raise self.fail(f"unknown entity type '{prefix}' (expected one of {names})", token.position)
            entity_type = resolved
        if entity_type not in allowed:
            raise self.fail(
                f"{self.spec.label} cannot be {'searched' if self.what == 'filter' else 'ordered'} "
                f"by {entity_type.value}",
                token.position,
            )
        return Identifier(entity_type, self.canonical_key(entity_type, key, token), token.position)

    def canonical_key(self, entity_type: EntityType, key: str, token: Token) -> str:
        if entity_type is EntityType.ATTRIBUTE:
            attribute = self.spec.attribute(key)
            if attribute is None:
                names = ", ".join(self.spec.attribute_names())
                raise self.fail(
                    f"unknown attribute '{key}' for {self.spec.label} (expected one of {names})",
                    token.position,
                )
            return attribute.name
        if entity_type is EntityType.DATASET and key not in self.spec.dataset_keys:
            names = ", ".join(sorted(self.spec.dataset_keys))
            raise self.fail(f"unknown dataset key '{key}' (expected one of {names})", token.position)
        if not key:
            raise self.fail(f"empty {entity_type.value} key", token.position)
        return key

    def operator(self) -> Op:
        token = self.peek()
        if token.kind is Kind.OP:
            self.advance()
            return Op(token.value)
        if token.kind is Kind.KEYWORD and token.value in ("LIKE", "ILIKE", "IN", "NOT", "IS"):
            self.advance()
            if token.value in ("LIKE", "ILIKE", "IN"):
                return Op(token.value)
            if token.value == "NOT":
                if not self.at_keyword("LIKE", "ILIKE", "IN"):
                    raise self.unexpected("LIKE, ILIKE or IN after NOT")
                return Op("NOT " + self.advance().value)
            negated = self.at_keyword("NOT")
            if negated:
                self.advance()
            if not self.at_keyword("NULL"):
                raise self.unexpected("NULL")
            self.advance()
            return Op.IS_NOT_NULL if negated else Op.IS_NULL
        raise self.unexpected("a comparison operator (" + rules.operator_list(frozenset(Op)) + ")")

    def value(self, op: Op) -> Value | None:
        if op in NULL_OPS:
            return None
        if op in LIST_OPS:
            return self.list_value()
        return self.scalar()

    def scalar(self) -> Scalar:
        token = self.peek()
        if token.kind is Kind.STRING:
            self.advance()
            return String(token.value, token.position)
        if token.kind is Kind.NUMBER:
            self.advance()
            return Number(token.number, token.position)
        raise self.unexpected("a value (a quoted string or a number)")

    def list_value(self) -> ListValue:
        start = self.peek()
        if start.kind is not Kind.LPAREN:
            raise self.unexpected("'(' to start a list of values")
        self.advance()
        if self.peek().kind is Kind.RPAREN:
            raise self.fail("empty list of values", start.position)
        items = [self.list_item(start)]
        while self.peek().kind is Kind.COMMA:
            self.advance()
            if self.peek().kind is Kind.RPAREN:
                break
            items.append(self.list_item(start))
        if self.peek().kind is not Kind.RPAREN:
            raise self.unexpected(f"',' or ')' to close the list at position {start.position}")
        self.advance()
        return ListValue(tuple(items), start.position)

    def list_item(self, start: Token) -> Scalar:
        self.list_items += 1
        if self.list_items > limits.MAX_LIST_ITEMS:
            raise self.fail(
                f"IN lists hold more than the limit of {limits.MAX_LIST_ITEMS} values in total",
                start.position,
            )
        return self.scalar()


def parse_filter(text: str | None, spec: EntitySpec) -> Expr | None:
    """Parse and validate ``text`` for ``spec``; ``None`` for an absent or blank filter."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise InvalidArgument(f"Invalid filter: expected a string, got {type(text).__name__}")
    if len(text) > limits.MAX_FILTER_LENGTH:
        raise InvalidArgument(f"Invalid filter: it is longer than the limit of {limits.MAX_FILTER_LENGTH} characters")
    parser = Parser(text, spec)
    if parser.peek().kind is Kind.EOF:
        return None
    return parser.parse()
