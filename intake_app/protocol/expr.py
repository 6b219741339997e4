"""The protocol's expression language, evaluated: binding names and compiling to closures.

Nothing here ever calls eval, exec or Python's compile: syntax.py turns text into a tree, and
the tree becomes plain Python closures over a fixed set of operations. A protocol's
expressions are parsed and bound once at load and evaluated many times (the GUI on every
keystroke, demo generation on 100,000 records), so binding resolves every name to an answers
key and a conversion up front, and evaluation is a chain of small function calls.

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
from intake_app.protocol.syntax import (
    FUNCTIONS,
    KEYWORDS,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_TOKENS,
    Binary,
    Call,
    ListLit,
    Lit,
    Name,
    Node,
    Token,
    Unary,
    at_char,
    parse,
    tokenize,
)
from intake_app.protocol.values import check_status, is_answered

__all__ = [
    "FUNCTIONS", "KEYWORDS", "MAX_DEPTH", "MAX_LENGTH", "MAX_TOKENS", "Binary", "Call",
    "Expression", "Field", "Frame", "ListLit", "Lit", "Name", "Node", "Token", "Unary",
    "compile_expression", "full_date", "parse", "same", "tokenize",
]

Env = tuple[Mapping[str, Any], ...]
Fn = Callable[[Env], Any]
CHECK_FIELDS = ("date", "by", "note")
_FULL_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


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
    raise ProtocolError(f"Unknown question id '{name}' {at_char(pos)}.")


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
                    f"{at_char(group.pos)}."
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
