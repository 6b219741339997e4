"""The expression language's syntax: tokenizer and recursive-descent parser to a tree.

No eval, exec or compile anywhere: every character is matched against the small grammar
below, and anything else is a ProtocolError naming its position. Limits (length, tokens,
nesting depth) are checked before any work grows with the input.

Grammar, loosest first:  or → and → not → comparison (one, never chained: == != < <= > >=
in, not in) → + - → unary - → literal | name | call | ( expr ) | [ list ].
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from intake_app.errors import ProtocolError

MAX_LENGTH = 2000
MAX_DEPTH = 32
MAX_TOKENS = 1000

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})
# Function name -> arity; the first argument of these must be a bare name.
FUNCTIONS: dict[str, int] = {"answered": 1, "any": 2, "all": 2, "count": 1, "days": 2, "has": 2}
_NAME_ARG = frozenset({"answered", "any", "all", "count"})

_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*", re.ASCII)
_NUMBER_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)
_TWO_CHAR_OPS = ("==", "!=", "<=", ">=")
_ONE_CHAR = {"<": "op", ">": "op", "+": "op", "-": "op", "(": "(", ")": ")", "[": "[", "]": "]",
             ",": ","}
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}
_WHITESPACE = " \t\r\n"
# Direction overrides and isolates: they make source text read differently than it parses.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def at_char(pos: int) -> str:
    return f"at character {pos + 1}"


def _show(ch: str) -> str:
    return repr(ch) if ch.isprintable() and ch.isascii() else f"U+{ord(ch):04X}"


# --- tokens -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "num" "str" "name" "kw" "op" "(" ")" "[" "]" "," "end"
    value: Any
    pos: int


def tokenize(text: str) -> list[Token]:
    """Split expression text into tokens, refusing anything outside the language."""
    if not isinstance(text, str):
        raise ProtocolError("An expression must be text.")
    if len(text) > MAX_LENGTH:
        raise ProtocolError(f"Expression is longer than {MAX_LENGTH} characters.")
    for pos, ch in enumerate(text):
        if (ord(ch) < 32 and ch not in _WHITESPACE) or ch in _BIDI or 0x7F <= ord(ch) < 0xA0:
            raise ProtocolError(f"Control character {_show(ch)} {at_char(pos)}.")
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _WHITESPACE:
            i += 1
            continue
        if len(tokens) >= MAX_TOKENS:
            raise ProtocolError(f"Expression has more than {MAX_TOKENS} tokens.")
        if ch in "'\"":
            value, i2 = _read_string(text, i)
            tokens.append(Token("str", value, i))
            i = i2
            continue
        m = _NUMBER_RE.match(text, i)
        if m:
            raw = m.group()
            if len(raw) > 30:
                raise ProtocolError(f"Number too long {at_char(i)}.")
            if m.end() < n and (text[m.end()].isalnum() or text[m.end()] in "._"):
                raise ProtocolError(f"Malformed number {at_char(i)}.")
            tokens.append(Token("num", float(raw) if "." in raw else int(raw), i))
            i = m.end()
            continue
        m = _NAME_RE.match(text, i)
        if m:
            word = m.group()
            if m.end() < n and text[m.end()] == ".":
                raise ProtocolError(f"Malformed name {at_char(i)}.")
            tokens.append(Token("kw" if word in KEYWORDS else "name", word, i))
            i = m.end()
            continue
        two = text[i : i + 2]
        if two in _TWO_CHAR_OPS:
            tokens.append(Token("op", two, i))
            i += 2
            continue
        kind = _ONE_CHAR.get(ch)
        if kind is not None:
            tokens.append(Token(kind, ch, i))
            i += 1
            continue
        if ch == "=":
            raise ProtocolError(f"Unexpected '=' {at_char(i)} (use '==' to compare).")
        raise ProtocolError(f"Unexpected character {_show(ch)} {at_char(i)}.")
    tokens.append(Token("end", None, n))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == quote:
            return "".join(out), i + 1
        if ch == "\\":
            nxt = text[i + 1 : i + 2]
            if nxt not in _ESCAPES:
                raise ProtocolError(f"Unknown escape in string {at_char(i)}.")
            out.append(_ESCAPES[nxt])
            i += 2
            continue
        out.append(ch)
        i += 1
    raise ProtocolError(f"Unterminated string starting {at_char(start)}.")


# --- syntax tree --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lit:
    value: Any
    pos: int


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    pos: int


@dataclass(frozen=True, slots=True)
class ListLit:
    items: tuple[Node, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "not" | "-"
    operand: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # "and" "or" "==" "!=" "<" "<=" ">" ">=" "in" "not in" "+" "-"
    left: Node
    right: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Node, ...]
    pos: int


Node = Lit | Name | ListLit | Unary | Binary | Call

_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})


class _Parser:
    """Recursive descent; depth is counted on every nested construct and capped."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, kind: str, what: str) -> Token:
        tok = self.peek()
        if tok.kind != kind:
            raise ProtocolError(f"Expected {what} {at_char(tok.pos)}, found {_describe(tok)}.")
        return self.take()

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ProtocolError(f"Expression nested deeper than {MAX_DEPTH} {at_char(pos)}.")

    def parse(self) -> Node:
        node = self.expr()
        tok = self.peek()
        if tok.kind != "end":
            raise ProtocolError(f"Unexpected {_describe(tok)} {at_char(tok.pos)}.")
        return node

    def expr(self) -> Node:
        self.enter(self.peek().pos)
        try:
            return self.or_expr()
        finally:
            self.depth -= 1

    def or_expr(self) -> Node:
        left = self.and_expr()
        while self.peek().kind == "kw" and self.peek().value == "or":
            pos = self.take().pos
            left = Binary("or", left, self.and_expr(), pos)
        return left

    def and_expr(self) -> Node:
        left = self.not_expr()
        while self.peek().kind == "kw" and self.peek().value == "and":
            pos = self.take().pos
            left = Binary("and", left, self.not_expr(), pos)
        return left

    def not_expr(self) -> Node:
        tok = self.peek()
        if tok.kind == "kw" and tok.value == "not":
            self.take()
            self.enter(tok.pos)
            try:
                return Unary("not", self.not_expr(), tok.pos)
            finally:
                self.depth -= 1
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        tok = self.peek()
        op: str | None = None
        if tok.kind == "op" and tok.value in _COMPARISONS:
            op = tok.value
            self.take()
        elif tok.kind == "kw" and tok.value == "in":
            op = "in"
            self.take()
        elif tok.kind == "kw" and tok.value == "not":
            nxt = self.tokens[self.i + 1]
            if nxt.kind == "kw" and nxt.value == "in":
                op = "not in"
                self.i += 2
        if op is None:
            return left
        node = Binary(op, left, self.additive(), tok.pos)
        after = self.peek()
        if (after.kind == "op" and after.value in _COMPARISONS) or (
            after.kind == "kw" and after.value == "in"
        ):
            raise ProtocolError(
                f"Comparisons cannot be chained {at_char(after.pos)}; join them with 'and'."
            )
        return node

    def additive(self) -> Node:
        left = self.unary()
        while self.peek().kind == "op" and self.peek().value in ("+", "-"):
            tok = self.take()
            left = Binary(tok.value, left, self.unary(), tok.pos)
        return left

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "op" and tok.value == "-":
            self.take()
            self.enter(tok.pos)
            try:
                return Unary("-", self.unary(), tok.pos)
            finally:
                self.depth -= 1
        return self.primary()

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind in ("num", "str"):
            return Lit(tok.value, tok.pos)
        if tok.kind == "kw" and tok.value in ("true", "false", "null"):
            return Lit({"true": True, "false": False, "null": None}[tok.value], tok.pos)
        if tok.kind == "(":
            if self.peek().kind == ")":
                raise ProtocolError(f"Empty parentheses {at_char(tok.pos)}.")
            node = self.expr()
            self.expect(")", "')'")
            return node
        if tok.kind == "[":
            return ListLit(tuple(self.items("]", tok.pos)), tok.pos)
        if tok.kind == "name":
            if self.peek().kind == "(":
                return self.call(tok)
            return Name(tok.value, tok.pos)
        raise ProtocolError(f"Unexpected {_describe(tok)} {at_char(tok.pos)}.")

    def items(self, close: str, pos: int) -> list[Node]:
        self.enter(pos)
        try:
            out: list[Node] = []
            if self.peek().kind == close:
                self.take()
                return out
            while True:
                out.append(self.expr())
                tok = self.take()
                if tok.kind == close:
                    return out
                if tok.kind != ",":
                    raise ProtocolError(
                        f"Expected ',' or '{close}' {at_char(tok.pos)}, found {_describe(tok)}."
                    )
        finally:
            self.depth -= 1

    def call(self, name: Token) -> Call:
        func = name.value
        if func not in FUNCTIONS:
            raise ProtocolError(f"Unknown function '{func}' {at_char(name.pos)}.")
        self.take()  # "("
        args = tuple(self.items(")", name.pos))
        if len(args) != FUNCTIONS[func]:
            raise ProtocolError(
                f"{func}() takes {FUNCTIONS[func]} argument(s), got {len(args)} "
                f"{at_char(name.pos)}."
            )
        if func in _NAME_ARG and not isinstance(args[0], Name):
            raise ProtocolError(
                f"The first argument of {func}() must be a question id {at_char(name.pos)}."
            )
        return Call(func, args, name.pos)


def _describe(tok: Token) -> str:
    if tok.kind == "end":
        return "end of expression"
    if tok.kind == "str":
        return "a string"
    if tok.kind == "num":
        return "a number"
    return f"'{tok.value}'"


def parse(text: str) -> Node:
    """Parse expression text into a syntax tree; ProtocolError names the position."""
    return _Parser(tokenize(text)).parse()
