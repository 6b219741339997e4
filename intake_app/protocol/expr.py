"""The protocol's small expression language: tokenizer, parser, and a compiler to closures.

Nothing here ever calls eval, exec, compile or ast.literal_eval: text becomes tokens, tokens
become a tree, the tree becomes plain Python closures over a fixed set of operations. A
protocol's expressions are parsed and bound once at load and evaluated many times (the GUI on
every keystroke, demo generation on 100,000 records), so binding resolves every name to an
answers key and a conversion up front, and evaluation is a chain of small function calls.

Evaluation is total: no data can make it raise. Null or mismatched types compare false; a
condition holds only when it evaluates to exactly `true`. The one exception to "null compares
false" is the literal: `x == null` tests absence and `x != null` presence.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from intake_app.errors import ProtocolError
from intake_app.protocol.values import check_status, is_answered

MAX_LENGTH = 2000
MAX_DEPTH = 32
MAX_TOKENS = 1000

Env = tuple[Mapping[str, Any], ...]
Fn = Callable[[Env], Any]

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})
CHECK_FIELDS = ("date", "by", "note")
# Function name -> arity; the first argument of these must be a bare name.
FUNCTIONS: dict[str, int] = {"answered": 1, "any": 2, "all": 2, "count": 1, "days": 2, "has": 2}
_NAME_ARG = frozenset({"answered", "any", "all", "count"})

_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*", re.ASCII)
_NUMBER_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)
_FULL_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_TWO_CHAR_OPS = ("==", "!=", "<=", ">=")
_ONE_CHAR = {"<": "op", ">": "op", "+": "op", "-": "op", "(": "(", ")": ")", "[": "[", "]": "]",
             ",": ","}
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}
_WHITESPACE = " \t\r\n"
# Direction overrides and isolates: they make source text read differently than it parses.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def _where(pos: int) -> str:
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
            raise ProtocolError(f"Control character {_show(ch)} {_where(pos)}.")
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
                raise ProtocolError(f"Number too long {_where(i)}.")
            if m.end() < n and (text[m.end()].isalnum() or text[m.end()] in "._"):
                raise ProtocolError(f"Malformed number {_where(i)}.")
            tokens.append(Token("num", float(raw) if "." in raw else int(raw), i))
            i = m.end()
            continue
        m = _NAME_RE.match(text, i)
        if m:
            word = m.group()
            if m.end() < n and text[m.end()] == ".":
                raise ProtocolError(f"Malformed name {_where(i)}.")
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
            raise ProtocolError(f"Unexpected '=' {_where(i)} (use '==' to compare).")
        raise ProtocolError(f"Unexpected character {_show(ch)} {_where(i)}.")
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
                raise ProtocolError(f"Unknown escape in string {_where(i)}.")
            out.append(_ESCAPES[nxt])
            i += 2
            continue
        out.append(ch)
        i += 1
    raise ProtocolError(f"Unterminated string starting {_where(start)}.")


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
            raise ProtocolError(f"Expected {what} {_where(tok.pos)}, found {_describe(tok)}.")
        return self.take()

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ProtocolError(f"Expression nested deeper than {MAX_DEPTH} {_where(pos)}.")

    def parse(self) -> Node:
        node = self.expr()
        tok = self.peek()
        if tok.kind != "end":
            raise ProtocolError(f"Unexpected {_describe(tok)} {_where(tok.pos)}.")
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
                f"Comparisons cannot be chained {_where(after.pos)}; join them with 'and'."
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
                raise ProtocolError(f"Empty parentheses {_where(tok.pos)}.")
            node = self.expr()
            self.expect(")", "')'")
            return node
        if tok.kind == "[":
            return ListLit(tuple(self.items("]", tok.pos)), tok.pos)
        if tok.kind == "name":
            if self.peek().kind == "(":
                return self.call(tok)
            return Name(tok.value, tok.pos)
        raise ProtocolError(f"Unexpected {_describe(tok)} {_where(tok.pos)}.")

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
                        f"Expected ',' or '{close}' {_where(tok.pos)}, found {_describe(tok)}."
                    )
        finally:
            self.depth -= 1

    def call(self, name: Token) -> Call:
        func = name.value
        if func not in FUNCTIONS:
            raise ProtocolError(f"Unknown function '{func}' {_where(name.pos)}.")
        self.take()  # "("
        args = tuple(self.items(")", name.pos))
        if len(args) != FUNCTIONS[func]:
            raise ProtocolError(
                f"{func}() takes {FUNCTIONS[func]} argument(s), got {len(args)} "
                f"{_where(name.pos)}."
            )
        if func in _NAME_ARG and not isinstance(args[0], Name):
            raise ProtocolError(
                f"The first argument of {func}() must be a question id {_where(name.pos)}."
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


# --- binding names ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """What a name can refer to inside one frame: a key of the answers (or item) dict."""

    key: str
    kind: str  # the question type
    item: Frame | None = None  # for groups: the frame of one item


@dataclass(frozen=True, slots=True)
class Frame:
    """The names visible at one level: the whole record, or one item of a group."""

    fields: Mapping[str, Field]


@dataclass(frozen=True, slots=True)
class _Binding:
    depth: int
    field: Field
    sub: str | None  # "date" | "by" | "note" for check items


def _bind(name: str, chain: Sequence[Frame], pos: int) -> _Binding:
    for depth in range(len(chain) - 1, -1, -1):
        fields = chain[depth].fields
        found = fields.get(name)
        if found is not None:
            return _Binding(depth, found, None)
        head, _, tail = name.rpartition(".")
        if tail in CHECK_FIELDS:
            base = fields.get(head)
            if base is not None and base.kind == "check":
                return _Binding(depth, base, tail)
    raise ProtocolError(f"Unknown question id '{name}' {_where(pos)}.")


# --- value semantics ----------------------------------------------------------------------


def _status(raw: Any) -> Any:
    if type(raw) is dict:
        status = raw.get("status")
        return status if type(status) is str else None
    return raw


def _convert_for(kind: str | None, sub: str | None) -> Callable[[Any], Any]:
    if sub is not None:
        def check_field(raw: Any) -> Any:
            if type(raw) is dict:
                value = raw.get(sub)
                return value if type(value) is str else None
            return None
        return check_field
    if kind == "check":
        return check_status
    if kind == "place":
        def place(raw: Any) -> Any:
            if type(raw) is dict:
                text = raw.get("text")
                if type(text) is str:
                    return text
                return _status(raw)
            return raw
        return place
    return _status


def _kind(v: Any) -> int:
    t = type(v)
    if t is str:
        return 1
    if t is int or t is float:
        return 2
    if t is bool:
        return 3
    if t is list or t is tuple:
        return 4
    return 0


def same(a: Any, b: Any) -> bool:
    """Equality of the language: null or mismatched types are never equal."""
    ka = _kind(a)
    if ka == 0 or ka != _kind(b):
        return False
    if ka == 4:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _differ(a: Any, b: Any) -> bool:
    ka = _kind(a)
    if ka == 0 or ka != _kind(b):
        return False
    return not same(a, b)


def _order(op: str) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        ka = _kind(a)
        if ka not in (1, 2) or ka != _kind(b):
            return False
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        return bool(a >= b)
    return compare


def _contains(seq: Any, v: Any) -> bool:
    return any(same(v, x) for x in seq)


def _is_list(v: Any) -> bool:
    t = type(v)
    return t is list or t is tuple


def _arith(op: str) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        if _kind(a) != 2 or _kind(b) != 2:
            return None
        return a + b if op == "+" else a - b
    return apply


def full_date(v: Any) -> _dt.date | None:
    """A YYYY-MM-DD string as a date; anything else (partial, invalid, not text) is None."""
    if type(v) is not str or len(v) != 10 or not _FULL_DATE_RE.fullmatch(v):
        return None
    try:
        return _dt.date(int(v[0:4]), int(v[5:7]), int(v[8:10]))
    except ValueError:
        return None


# --- compiling to closures ----------------------------------------------------------------


class _Compiler:
    def __init__(self, typed: bool) -> None:
        self.typed = typed
        self.deps: set[tuple[int, str]] = set()

    def name_access(
        self, node: Name, chain: Sequence[Frame], convert: bool = True
    ) -> tuple[Fn, _Binding | None]:
        if not self.typed:
            return _generic_lookup(node.name, convert), None
        b = _bind(node.name, chain, node.pos)
        self.deps.add((b.depth, b.field.key))
        depth, key = b.depth, b.field.key
        if not convert:
            return (lambda env: env[depth].get(key)), b
        conv = _convert_for(b.field.kind, b.sub)
        return (lambda env: conv(env[depth].get(key))), b

    def build(self, node: Node, chain: Sequence[Frame]) -> Fn:
        if isinstance(node, Lit):
            value = node.value
            return lambda env: value
        if isinstance(node, Name):
            return self.name_access(node, chain)[0]
        if isinstance(node, ListLit):
            if all(isinstance(item, Lit) for item in node.items):
                constant = [item.value for item in node.items if isinstance(item, Lit)]
                return lambda env: constant
            parts = [self.build(item, chain) for item in node.items]
            return lambda env: [p(env) for p in parts]
        if isinstance(node, Unary):
            inner = self.build(node.operand, chain)
            if node.op == "not":
                return lambda env: inner(env) is not True
            return lambda env: _negate(inner(env))
        if isinstance(node, Binary):
            return self.binary(node, chain)
        return self.call(node, chain)

    def binary(self, node: Binary, chain: Sequence[Frame]) -> Fn:
        op = node.op
        left = self.build(node.left, chain)
        right = self.build(node.right, chain)
        if op == "and":
            return lambda env: left(env) is True and right(env) is True
        if op == "or":
            return lambda env: left(env) is True or right(env) is True
        if op in ("==", "!="):
            if _is_null(node.right) or _is_null(node.left):
                other = left if _is_null(node.right) else right
                if op == "==":
                    return lambda env: other(env) is None
                return lambda env: other(env) is not None
            fixed = _literal_text(node.right)
            if fixed is not None:
                # The common `name == 'value'`: no generic comparison needed.
                if op == "==":
                    return lambda env: _text_equal(left(env), fixed)
                return lambda env: _text_differs(left(env), fixed)
            if op == "==":
                return lambda env: same(left(env), right(env))
            return lambda env: _differ(left(env), right(env))
        if op in ("in", "not in"):
            wanted = op == "in"
            texts = _text_set(node.right)
            if texts is not None:
                # A fixed list of strings (e.g. 250 country codes): one hash lookup.
                return lambda env: _in_texts(left(env), texts, wanted)
            return lambda env: _member(left(env), right(env), wanted)
        if op in ("+", "-"):
            arith = _arith(op)
            return lambda env: arith(left(env), right(env))
        compare = _order(op)
        return lambda env: compare(left(env), right(env))

    def call(self, node: Call, chain: Sequence[Frame]) -> Fn:
        func = node.func
        if func in ("answered", "count"):
            arg = node.args[0]
            assert isinstance(arg, Name)
            raw, _ = self.name_access(arg, chain, convert=False)
            if func == "answered":
                return lambda env: is_answered(raw(env))
            return lambda env: _count(raw(env))
        if func in ("any", "all"):
            return self.quantifier(node, chain)
        a = self.build(node.args[0], chain)
        b = self.build(node.args[1], chain)
        if func == "days":
            return lambda env: _days(a(env), b(env))
        return lambda env: _has(a(env), b(env))

    def quantifier(self, node: Call, chain: Sequence[Frame]) -> Fn:
        group = node.args[0]
        assert isinstance(group, Name)
        items, binding = self.name_access(group, chain, convert=False)
        if binding is not None:
            if binding.field.kind != "group" or binding.field.item is None or binding.sub:
                raise ProtocolError(
                    f"{node.func}() needs a repeat group; '{group.name}' is not one "
                    f"{_where(group.pos)}."
                )
            inner_chain: Sequence[Frame] = (*chain, binding.field.item)
        else:
            inner_chain = (*chain, Frame({}))
        body = self.build(node.args[1], inner_chain)
        if node.func == "any":
            def any_item(env: Env) -> bool:
                value = items(env)
                if type(value) is not list:
                    return False
                return any(
                    body((*env, item)) is True for item in value if type(item) is dict
                )
            return any_item

        def all_items(env: Env) -> bool:
            # No items is not evidence of anything: all() over none is false (unlike Python),
            # so a red flag written with all() never fires on an empty record.
            value = items(env)
            if type(value) is not list:
                return False
            dicts = [item for item in value if type(item) is dict]
            return bool(dicts) and all(body((*env, item)) is True for item in dicts)
        return all_items


def _is_null(node: Node) -> bool:
    return isinstance(node, Lit) and node.value is None


def _literal_text(node: Node) -> str | None:
    return node.value if isinstance(node, Lit) and type(node.value) is str else None


def _text_equal(v: Any, text: str) -> bool:
    return type(v) is str and v == text


def _text_differs(v: Any, text: str) -> bool:
    return type(v) is str and v != text


def _text_set(node: Node) -> frozenset[str] | None:
    if isinstance(node, ListLit) and all(
        isinstance(item, Lit) and type(item.value) is str for item in node.items
    ):
        return frozenset(item.value for item in node.items if isinstance(item, Lit))
    return None


def _in_texts(v: Any, texts: frozenset[str], wanted: bool) -> bool:
    if type(v) is not str:
        return False
    return (v in texts) is wanted


def _negate(v: Any) -> Any:
    return -v if _kind(v) == 2 else None


def _member(v: Any, seq: Any, wanted: bool) -> bool:
    if v is None or not _is_list(seq):
        return False
    return _contains(seq, v) is wanted


def _count(v: Any) -> int:
    return len(v) if type(v) is list else 0


def _days(a: Any, b: Any) -> int | None:
    da, db = full_date(a), full_date(b)
    if da is None or db is None:
        return None
    return (db - da).days


def _has(seq: Any, v: Any) -> bool:
    return _is_list(seq) and v is not None and _contains(seq, v)


def _generic_lookup(name: str, convert: bool) -> Fn:
    """Untyped names: innermost frame first; `x.date` reaches into a dict; status dicts."""
    head, _, tail = name.rpartition(".")

    def lookup(env: Env) -> Any:
        for frame in reversed(env):
            if name in frame:
                raw = frame[name]
                return _status(raw) if convert else raw
            if tail in CHECK_FIELDS and type(frame.get(head)) is dict:
                value = frame[head].get(tail)
                return value if type(value) is str else None
        return None

    return lookup


class Expression:
    """A parsed, bound expression. Call it with an environment (a tuple of answer dicts,
    outermost first) or use `evaluate(answers)` / `holds(answers)` for a flat record."""

    __slots__ = ("source", "tree", "deps", "fn", "_fn")

    def __init__(self, source: str, tree: Node, fn: Fn, deps: frozenset[tuple[int, str]]):
        self.source = source
        self.tree = tree
        self.deps = deps  # (frame depth, key) of every bound name it reads
        self.fn = fn  # the compiled closure: fn(env) -> value (hot loops call it directly)
        self._fn = fn

    def __call__(self, env: Env) -> Any:
        return self._fn(env)

    def test(self, env: Env) -> bool:
        return self._fn(env) is True

    def evaluate(self, answers: Mapping[str, Any]) -> Any:
        return self._fn((answers,))

    def holds(self, answers: Mapping[str, Any]) -> bool:
        return self._fn((answers,)) is True

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def __str__(self) -> str:
        return self.source


def compile_expression(text: str, chain: Sequence[Frame] | None = None) -> Expression:
    """Parse and bind `text`. With `chain` (outermost frame first) every name must be a known
    question (else ProtocolError); without it names are looked up at evaluation time."""
    tree = parse(text)
    compiler = _Compiler(typed=chain is not None)
    frames = list(chain) if chain is not None else []
    fn = compiler.build(tree, frames)
    # Names bound inside any()/all() bodies to the item being iterated are not dependencies.
    deps = frozenset(d for d in compiler.deps if d[0] < len(frames))
    return Expression(text, tree, fn, deps)
